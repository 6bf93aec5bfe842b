"""Errors of the client library itself (the daemon's own errors are
``idmd.protocol.errors`` classes, raised again from a reply)."""

from __future__ import annotations


class ClientError(Exception):
    """Base class of the client library's own errors."""


class DaemonNotRunning(ClientError):
    """No daemon answers where daemon.json (or the given URL) says it should."""

    def __init__(self, detail: str = "") -> None:
        message = "idmd is not running: start it with `idmd` or `idm-tui`"
        super().__init__(f"{message} ({detail})" if detail else message)
        self.detail = detail


class ConnectionLost(ClientError):
    """The connection closed while a call was waiting for its reply."""


class AuthenticationFailed(ClientError):
    """The daemon refused the token (a stale token file, or a revoked pairing)."""
