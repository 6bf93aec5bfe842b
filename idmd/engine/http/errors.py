"""What can go wrong on one HTTP connection, and whether a retry can help.

Connections raise these; ``download.py`` retries the retriable ones with
back-off and turns the rest into a ``JobError`` the user reads.
"""

from __future__ import annotations

import asyncio
import errno
import os
import re
import socket
import sys

import aiohttp

from idmd.core.text import valid_text

PROXY_AUTH = 407
RETRIABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


class FetchError(Exception):
    """A failed attempt on one connection; ``retriable`` says whether to try again."""

    retriable = True
    code = "network"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        message = valid_text(message)  # a raw byte in a reason phrase must not reach a frame
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class HttpStatusError(FetchError):
    code = "http"

    def __init__(self, status: int, reason: str, retry_after: float | None = None) -> None:
        message = f"HTTP {status} {reason}".strip()
        if status == PROXY_AUTH:  # a plain http:// URL through an HTTP proxy: the proxy answers
            message = f"the proxy refused the user and password ({message})"
        super().__init__(message, retry_after)
        self.status = status
        self.retriable = status in RETRIABLE_STATUS


class AuthFailed(FetchError):
    """401: the user and password were refused (or none were given). Not retried: the same
    ones would be refused again."""

    retriable = False
    code = "auth"

    def __init__(self, host: str, had_credentials: bool) -> None:
        if had_credentials:
            super().__init__(f"authentication failed for {host}")
        else:
            super().__init__(
                f"{host} asks for a user and password"
                f" (idm add --user, or idm credentials add {host})"
            )


class RangesUnsupported(FetchError):
    """200 to a ranged request, or a Content-Range that does not match: one stream from 0."""

    retriable = False
    code = "ranges"


class ValidatorChanged(FetchError):
    """ETag, Last-Modified or size differ from the first response: the file changed."""

    retriable = False
    code = "changed"


class NotAFile(FetchError):
    """A web page or a streaming manifest where a file was expected (mode auto)."""

    retriable = False
    code = "not_a_file"

    def __init__(self, content_type: str) -> None:
        super().__init__(f"not a file but {content_type}")
        self.content_type = content_type


class Stalled(FetchError):
    code = "stalled"


def from_exception(exc: BaseException) -> FetchError:
    """A ``FetchError`` with a readable message for a network-level exception."""
    if isinstance(exc, FetchError):
        return exc
    proxy_error = _proxy_error(exc)
    if proxy_error is not None:
        return proxy_error
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        if isinstance(os_error, socket.gaierror):
            return FetchError(f"cannot resolve host {exc.host}: {os_error.strerror or os_error}")
        if isinstance(
            exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientConnectorSSLError
        ):
            error = FetchError(f"TLS error with {exc.host}: {exc}")
            error.retriable = False
            return error
        if os_error is not None and os_error.errno:
            reason = os.strerror(os_error.errno).lower()
        else:
            reason = str(os_error or exc)
        return FetchError(f"cannot connect to {exc.host}:{exc.port}: {reason}")
    if isinstance(exc, aiohttp.ServerTimeoutError | asyncio.TimeoutError | TimeoutError):
        return Stalled("the server sent nothing within the stall timeout")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return FetchError(_broken_body(exc))
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return FetchError("the server closed the connection")
    if isinstance(exc, aiohttp.InvalidURL):
        error = FetchError(f"invalid URL: {exc}")
        error.retriable = False
        return error
    if isinstance(exc, aiohttp.TooManyRedirects):
        error = FetchError("too many redirects")
        error.retriable = False
        return error
    if type(exc) is aiohttp.ClientResponseError:
        # Only aiohttp's parser raises the bare class here (statuses are read, not raised):
        # the server's status line or headers break HTTP. The same server breaks it again.
        error = FetchError(f"the server sent a malformed response: {_first_line(exc.message)}")
        error.retriable = False
        return error
    if isinstance(exc, aiohttp.ClientError):
        return FetchError(f"{type(exc).__name__}: {_short(exc)}")
    if isinstance(exc, ConnectionError):
        return FetchError(f"connection error: {exc.strerror or exc}")
    if isinstance(exc, OSError) and exc.errno == errno.ECONNRESET:
        return FetchError("connection reset by peer")
    return FetchError(f"{type(exc).__name__}: {_short(exc)}")


def _proxy_error(exc: BaseException) -> FetchError | None:
    """The proxy named by its address (never its password), or None: not the proxy's fault.
    A proxy that refuses the credentials is not retried: the same ones would fail again."""
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        os_error = exc.os_error
        reason = os.strerror(os_error.errno).lower() if os_error.errno else str(os_error)
        return FetchError(f"cannot connect to the proxy {exc.host}:{exc.port}: {reason}")
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        error = FetchError(f"the proxy answered HTTP {exc.status} {exc.message}".strip())
        error.retriable = exc.status in RETRIABLE_STATUS
        return error
    cause = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    socks = sys.modules.get("aiohttp_socks")
    if socks is None:  # no SOCKS session was ever made (sessions.py imports it for one)
        return None
    # python-socks says "... proxy HOST:PORT [reason]"
    if isinstance(cause, socks.ProxyConnectionError):
        found = re.search(r"proxy (\S+) \[(.*)\]", str(cause))
        where, reason = found.groups() if found else ("", str(cause))
        return FetchError(f"cannot connect to the proxy {where}: {reason.lower()}")
    if isinstance(cause, socks.ProxyTimeoutError):
        return FetchError(f"the proxy did not answer in time ({cause})")
    if isinstance(cause, socks.ProxyError):
        error = FetchError(f"the SOCKS proxy refused: {cause}")
        error.retriable = False
        return error
    return None


def closed_after(got: int, wanted: int) -> str:
    return f"the server closed the connection after {got} of {wanted} bytes"


def _broken_body(exc: aiohttp.ClientPayloadError) -> str:
    """What the server did, from aiohttp's "... (received N of M bytes)" when it says so."""
    found = re.search(r"received (\d+) of (\d+) bytes", " ".join(map(str, exc.args)))
    if found:
        got, wanted = found.groups()
        return closed_after(int(got), int(wanted))
    inner = next((a for a in exc.args if isinstance(a, BaseException)), None)
    return f"the connection broke mid-body: {_first_line(str(inner or exc))}"


def _first_line(text: str) -> str:
    """One line of a parser's message (they add the raw header and a caret below)."""
    return _short_text(text.strip().splitlines()[0].rstrip(":")) if text.strip() else "no reason"


def _short(exc: BaseException) -> str:
    return _short_text(" ".join((str(exc) or type(exc).__name__).split()))


def _short_text(text: str) -> str:
    return text if len(text) < 200 else text[:197] + "..."
