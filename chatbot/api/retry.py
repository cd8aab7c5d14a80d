"""When and how long to wait before sending a failed request again.

Only failures before any of the reply arrived are retried (a retry after text was shown would
repeat it). Waits grow exponentially with jitter, a server's ``Retry-After`` is honoured up to a
cap, and the total wait is bounded so an interactive user is never stuck for minutes.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

RETRYABLE_STATUS = frozenset({408, 409, 429})


def is_retryable_status(status: int, headers: Mapping[str, str]) -> bool:
    should = headers.get("x-should-retry", "").lower()
    if should in ("true", "false"):
        return should == "true"
    return status in RETRYABLE_STATUS or status >= 500


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, then ``retry-after``)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    retries: int
    base_delay: float = 1.0
    max_delay: float = 20.0
    max_total_wait: float = 30.0

    def delay(self, attempt: int, server_delay: float | None, rng: random.Random) -> float:
        """The wait before retry number ``attempt`` (1-based)."""
        if server_delay is not None:
            return min(server_delay, self.max_delay)
        backoff = min(self.base_delay * 2 ** (attempt - 1), self.max_delay)
        return backoff * rng.uniform(0.75, 1.0)

    def allows(self, attempt: int, waited: float, next_delay: float) -> bool:
        return attempt <= self.retries and waited + next_delay <= self.max_total_wait
