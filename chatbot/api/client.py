"""The real transport: ``POST /v1/chat`` over one httpx connection, retries, errors in words.

It implements chatbot.engine.transport.Transport and knows nothing of terminals.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import ssl
import threading
import time
from collections.abc import Generator, Iterator, Mapping
from typing import Any, NoReturn

import httpx

from chatbot import __version__, debug
from chatbot.api import tls
from chatbot.api.proxy import asks_for_password, http_client, proxy_for, wants_password
from chatbot.api.retry import RetryPolicy, is_retryable_status, retry_after
from chatbot.api.sse import NoContent, describe_error_body, iter_chunks
from chatbot.engine.events import Notice
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


class WriterClient:
    """A thin wrapper over one ``httpx.Client``, so the connection is reused across turns."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        timeout: float,
        *,
        retry: RetryPolicy,
        environ: Mapping[str, str],
        proxy: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.environ = environ  # the run's: its proxy variables and certificates
        self.timeout = timeout
        self.retry = retry
        self.proxy = proxy  # None: the environment's proxy settings, by httpx's rules
        self._rng = random.Random()
        self._stream_in_use: Any = None  # the kept-alive connection's stream, once there is one
        self._http = http_client(
            self.base_url,
            proxy,
            environ,
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {api_key}",
                "User-Agent": f"writer-chat/{__version__}",
                "Accept": "text/event-stream",
            },
            timeout=httpx.Timeout(timeout),
            # One connection for the whole session, however long the pauses (httpx closes an
            # idle one after 5 s by default: a new TLS handshake before the next first token).
            limits=httpx.Limits(keepalive_expiry=None),
            follow_redirects=False,
            verify=tls.verify(environ),  # raises UsageError when the certificates cannot load
            event_hooks={"request": [_trace_request], "response": [_trace_response]},
        )

    def close(self) -> None:
        self._http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        content: Iterator[bytes] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """One JSON request beside the chat (files, graphs): the answer's JSON, or an ApiError
        in words. A request that is safe to repeat is sent again, once, at once, when the
        kept-alive connection turns out to have been closed by the server."""
        headers = {"Accept": "application/json", **(headers or {})}
        again = method in ("GET", "PUT", "DELETE")
        while True:
            try:
                response = self._http.request(
                    method, path, params=params, json=body, content=content, headers=headers
                )
                break
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
                if not again:
                    raise self._translate(error, opening=True) from None
                again = False
            except httpx.HTTPError as error:
                raise self._translate(error, opening=True) from None
        if response.status_code >= 300:
            raise status_error(response, "", _read_capped(response), self.proxy, self.environ)
        try:
            return response.json()
        except (ValueError, RecursionError):
            raise ApiError(
                f"the answer to {method} {path} is not valid JSON (HTTP {response.status_code})"
            ) from None

    def list_models(self) -> list[tuple[str, str]]:
        """``GET /v1/models`` as (id, name) pairs."""
        try:
            response = self._http.get("/v1/models", headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise self._translate(error, opening=True) from None
        if response.status_code >= 400:
            raise status_error(response, "", _read_capped(response), self.proxy, self.environ)
        try:
            models = response.json().get("models") or []
        except (ValueError, AttributeError, RecursionError):
            raise ApiError("the model list from the server is not valid JSON") from None
        return [
            (str(m.get("id", "")), str(m.get("name", ""))) for m in models if isinstance(m, dict)
        ]

    def stream(self, body: dict[str, Any]) -> Generator[dict[str, Any] | Notice, None, None]:
        """Send a streamed chat request; yield a Notice before each retry, then chunk dicts.

        Failures before the reply starts are retried (see chatbot.api.retry). Closing the
        iterator (normally, on an error, or on Ctrl-C) closes the response at once, so the
        server sees the disconnect.
        """
        attempt, waited, reconnected = 0, 0.0, False
        while True:
            attempt += 1
            try:
                response = self._open(body)
                break
            except RetryableError as error:
                if error.at_once and not reconnected:
                    reconnected, attempt = True, attempt - 1
                    continue
                wait = self.retry.delay(attempt, error.server_delay, self._rng)
                if not self.retry.allows(attempt, waited, wait):
                    raise error.cause from None
                progress = f"({attempt}/{self.retry.retries})"
                yield Notice(f"{error.reason}, retrying in {_seconds(wait)} {progress}")
                time.sleep(wait)
                waited += wait
        try:
            yield from self._chunks(response)
        finally:
            response.close()

    def _open(self, body: dict[str, Any]) -> httpx.Response:
        deadline = _HeaderDeadline(HEADER_DEADLINE_TIMEOUTS * self.timeout, self._stream_in_use)
        request = self._http.build_request(
            "POST", "/v1/chat", json=body, extensions={"trace": deadline.trace}
        )
        try:
            with deadline:
                response = self._http.send(request, stream=True)
        except httpx.HTTPError as error:
            if deadline.expired:
                raise ApiTimeoutError(
                    f"no answer from {self.base_url} within {deadline.seconds:g} s: its headers"
                    " came too slowly (see --timeout)"
                ) from None
            raise self._failed_to_open(error) from None
        self._stream_in_use = response.extensions.get("network_stream")
        if response.status_code < 300:
            return response
        self._refused(response, body)

    def _failed_to_open(self, error: httpx.HTTPError) -> ApiError | RetryableError:
        """What a request that got no answer raises: retryable when asking again may help."""
        if isinstance(error, (httpx.NetworkError, httpx.ConnectTimeout, httpx.RemoteProtocolError)):
            failure = self._translate(error, opening=True)
            if _untrusted_certificate(error) or _not_tls(error):  # asking again changes nothing
                return failure
            # A kept-alive connection the server closed while we were idle: send again at once.
            stale = isinstance(
                error, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
            )
            return RetryableError(failure, "cannot connect", at_once=stale)
        return self._translate(error, opening=True)

    def _refused(self, response: httpx.Response, body: dict[str, Any]) -> NoReturn:
        """Raise what an answer of 300 or more means (a retryable one as RetryableError)."""
        with contextlib.closing(response):
            if response.status_code < 400:
                where = response.headers.get("location", "elsewhere")
                raise ApiError(
                    f"the server redirected to {one_line(where, 120)} (HTTP "
                    f"{response.status_code}); check --base-url"
                )
            try:
                text = _read_capped(response)
            except httpx.HTTPError as error:
                raise self._translate(error, opening=True) from None
            refusal = status_error(response, body.get("model", ""), text, self.proxy, self.environ)
            if is_retryable_status(response.status_code, response.headers):
                reason = (
                    "rate limited"
                    if response.status_code == 429
                    else (f"server answered HTTP {response.status_code}")
                )
                raise RetryableError(refusal, reason, retry_after(response.headers))
            raise refusal

    def _chunks(self, response: httpx.Response) -> Iterator[dict[str, Any]]:
        try:
            yield from iter_chunks(response, patience=self.timeout)
        except NoContent:
            raise ApiTimeoutError(
                f"no reply from {self.base_url} for {self.timeout:g} s: the stream stayed open"
                " but nothing of the reply came (see --timeout)"
            ) from None
        except httpx.HTTPError as error:
            raise self._translate(error, opening=False) from None

    def _translate(self, error: httpx.HTTPError, *, opening: bool) -> ApiError:
        """One line saying what went wrong, in the user's terms."""
        if isinstance(error, httpx.TimeoutException):
            what = "connecting to" if isinstance(error, httpx.ConnectTimeout) else "waiting for"
            return ApiTimeoutError(
                f"timed out after {self.timeout:g} s {what} {self.base_url} (see --timeout)"
            )
        if opening and _not_tls(error):
            return ApiConnectionError(
                f"cannot connect to {self.base_url}: the server does not speak TLS (it answered"
                " in plain HTTP); if it is a local server, its URL starts with http://"
            )
        refusal = _untrusted_certificate(error)
        if opening and refusal is not None:
            return ApiConnectionError(
                f"cannot connect to {self.base_url}: its TLS certificate is not trusted"
                f" ({one_line(refusal.verify_message or str(refusal))}); a private CA can be"
                " added to the system's certificates or given in SSL_CERT_FILE"
            )
        reason = one_line(str(error)) or type(error).__name__
        if isinstance(error, httpx.ProxyError) and wants_password(reason):
            return ApiConnectionError(asks_for_password(self.base_url, self.proxy, self.environ))
        if opening:
            proxy, variable = proxy_for(self.base_url, self.proxy, self.environ)
            if proxy is not None:  # the proxy is what could not be reached
                return ApiConnectionError(
                    f"cannot connect to the proxy {proxy} ({variable}) on the way to"
                    f" {self.base_url}: {reason}"
                )
            return ApiConnectionError(f"cannot connect to {self.base_url}: {reason}")
        return StreamError(f"the connection broke mid-reply: {reason}")


def _untrusted_certificate(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate check that failed under httpx's and httpcore's wrappers, if one did."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _not_tls(error: BaseException) -> bool:
    """Whether the server answered a TLS handshake in plain HTTP (an https:// URL to an
    http:// server): OpenSSL's WRONG_VERSION_NUMBER."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError) and "WRONG_VERSION_NUMBER" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _trace_request(request: httpx.Request) -> None:
    if debug.enabled():
        headers = {
            k: ("Bearer ****" if k == "authorization" else v) for k, v in request.headers.items()
        }
        debug.log.debug(
            "-> %s %s %s %d bytes", request.method, request.url, headers, len(request.content)
        )


def _trace_response(response: httpx.Response) -> None:
    if debug.enabled():
        debug.log.debug(
            "<- HTTP %d %s %s", response.status_code, response.reason_phrase, dict(response.headers)
        )


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 1 else f"{value:.0f} s"


class RetryableError(Exception):
    """A failure before the reply started that may succeed if sent again."""

    def __init__(
        self,
        cause: ApiError,
        reason: str,
        server_delay: float | None = None,
        *,
        at_once: bool = False,
    ) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.reason = reason
        self.server_delay = server_delay
        self.at_once = at_once  # silently, once: a stale kept-alive connection


ERROR_BODY_LIMIT = 64 * 1024  # an error body is read this far, never whole


def _read_capped(response: httpx.Response) -> str:
    """The start of an error body: a server can send megabytes where a line is expected."""
    data = b""
    for piece in response.iter_bytes():
        data += piece
        if len(data) >= ERROR_BODY_LIMIT:
            break
    return data[:ERROR_BODY_LIMIT].decode(response.encoding or "utf-8", "replace")


def status_error(
    response: httpx.Response,
    model: str,
    text: str,
    proxy: str | None,
    environ: Mapping[str, str],
) -> ApiStatusError:
    """Map an HTTP error response to the exception, and one line, the user should see
    (``proxy``: the one set by --proxy or the config file, if any)."""
    status = response.status_code
    try:
        description = describe_error_body(json.loads(text))
    except (ValueError, RecursionError):
        description = ""
    description = description or one_line(text, 200) or response.reason_phrase
    if status == 407:
        return ApiStatusError(
            asks_for_password(str(response.request.url), proxy, environ),
            status,
            description,
        )
    if status in (401, 403):
        return AuthenticationError(
            f"the API key was rejected (HTTP {status}): {description}. Check WRITER_API_KEY.",
            status,
            description,
        )
    said = description.lower()
    if status in (400, 404) and model and ("model" in said or model.lower() in said):
        error = UnknownModelError(
            f"unknown model '{one_line(model, 80)}' (HTTP {status}): {description}.",
            status,
            description,
        )
        error.hints = {
            "command line": "Pick another with --model.",
            "chat": "Pick another with /model (/models lists them).",
        }
        return error
    if status == 404:  # not the model: the route (a base URL ending in /v1 is the usual slip)
        return ApiStatusError(
            f"not found (HTTP 404): {description}. The base URL looks wrong: it is the API's"
            " root, such as https://api.writer.com (without /v1)",
            status,
            description,
        )
    if status == 429:
        return ApiStatusError(f"rate limited by the Writer API (HTTP 429): {description}", status)
    if status >= 500:
        return ApiStatusError(f"Writer API server error (HTTP {status}): {description}", status)
    return ApiStatusError(f"request rejected (HTTP {status}): {description}", status, description)


HEADER_DEADLINE_TIMEOUTS = 2  # the headers' deadline, in --timeouts (to connect, then to answer)


class _HeaderDeadline:
    """A deadline for the whole header phase of one request: httpx's timeouts bound each read,
    so a server sending a header line every half second would hold the request forever. When
    the deadline passes first, the connection's socket is shut down, which ends the blocked
    read at once; ``expired`` then says why the request failed."""

    def __init__(self, seconds: float, stream: Any) -> None:
        self.seconds = seconds
        self.expired = False
        self._stream = stream  # the kept-alive connection's, until a new one connects
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace: a new connection (or its TLS layer) is the one to watch."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self._stream = info.get("return_value") or self._stream

    def __enter__(self) -> _HeaderDeadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            if self._done or self._stream is None:
                return
            self.expired = True
            with contextlib.suppress(OSError, AttributeError):
                self._stream.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
