"""The HTTP side: one client for ``POST /v1/chat`` that knows nothing of terminals."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from chatbot import __version__
from chatbot.errors import (
    ApiConnectionError,
    ApiError,
    ApiStatusError,
    ApiTimeoutError,
    AuthenticationError,
    StreamError,
    UnknownModelError,
)
from chatbot.sanitize import one_line
from chatbot.stream import describe_error_body, iter_chunks


@dataclass(frozen=True)
class ChatParams:
    """Sampling settings sent with every request."""

    model: str
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()


def build_chat_body(params: ChatParams, messages: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": params.model,
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    optional = {
        "temperature": params.temperature,
        "max_tokens": params.max_tokens,
        "top_p": params.top_p,
        "stop": list(params.stop) or None,
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    return body


class WriterClient:
    """A thin wrapper over one ``httpx.Client``, so the connection is reused across turns."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {api_key}",
                "User-Agent": f"writer-chat/{__version__}",
                "Accept": "text/event-stream",
            },
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    @contextlib.contextmanager
    def stream_chat(self, body: dict[str, Any]) -> Iterator[Iterator[dict[str, Any]]]:
        """Open a streamed chat request; yields an iterator of chunk dicts.

        Leaving the ``with`` block (normally, on an error, or on Ctrl-C) closes the response at
        once, so the server sees the disconnect.
        """
        with self._translate_errors(), self._http.stream("POST", "/v1/chat", json=body) as response:
            if response.status_code >= 400:
                response.read()
                raise status_error(response, body.get("model", ""))
            if response.status_code >= 300:
                where = response.headers.get("location", "elsewhere")
                raise ApiError(
                    f"the server redirected to {one_line(where, 120)} (HTTP "
                    f"{response.status_code}); check --base-url"
                )
            yield self._chunks(response)

    def _chunks(self, response: httpx.Response) -> Iterator[dict[str, Any]]:
        with self._translate_errors():
            yield from iter_chunks(response)

    @contextlib.contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except httpx.TimeoutException as error:
            what = "connecting to" if isinstance(error, httpx.ConnectTimeout) else "waiting for"
            raise ApiTimeoutError(
                f"timed out after {self.timeout:g} s {what} {self.base_url} (see --timeout)"
            ) from None
        except httpx.RemoteProtocolError as error:
            raise StreamError(f"the connection broke mid-reply: {one_line(str(error))}") from None
        except httpx.ReadError as error:
            raise StreamError(f"the connection broke mid-reply: {one_line(str(error))}") from None
        except httpx.TransportError as error:
            reason = one_line(str(error)) or type(error).__name__
            raise ApiConnectionError(f"cannot connect to {self.base_url}: {reason}") from None


def status_error(response: httpx.Response, model: str) -> ApiStatusError:
    """Map an HTTP error response to the exception, and one line, the user should see."""
    status = response.status_code
    text = response.text
    try:
        description = describe_error_body(json.loads(text))
    except ValueError:
        description = ""
    description = description or one_line(text, 200) or response.reason_phrase
    if status in (401, 403):
        return AuthenticationError(
            f"the API key was rejected (HTTP {status}): {description}. Check WRITER_API_KEY.",
            status,
            description,
        )
    if status == 404 or (status == 400 and "model" in description.lower()):
        return UnknownModelError(
            f"unknown model '{one_line(model, 80)}' (HTTP {status}): {description}. "
            "Pick another with --model.",
            status,
            description,
        )
    if status == 429:
        return ApiStatusError(f"rate limited by the Writer API (HTTP 429): {description}", status)
    if status >= 500:
        return ApiStatusError(f"Writer API server error (HTTP {status}): {description}", status)
    return ApiStatusError(f"request rejected (HTTP {status}): {description}", status, description)
