"""The real transport: httpx, TLS, retries, SSE decoding, HTTP errors in words."""

import sys

# httpx imports its own command-line client (click, rich.progress, pygments) whenever click is
# installed, and the [mcp] extra installs it: ~90 ms more on every start that imports httpx
# (benchmarks/first_token.py). This program never runs that client, so it is kept out.
# None in sys.modules makes the import fail (the documented way to block one); typeshed wants
# a module there
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
