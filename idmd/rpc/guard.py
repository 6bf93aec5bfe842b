"""Checks made before a WebSocket or SSE upgrade: Host (against DNS rebinding)
and Origin (no web page may talk to the daemon). Pure functions."""

from __future__ import annotations

from collections.abc import Iterable

EXTENSION_SCHEMES = ("chrome-extension://", "moz-extension://")


def host_allowed(host: str | None, port: int) -> bool:
    """Host must name the loopback interface with the daemon's port."""
    if not host:
        return False
    host = host.strip().lower()
    return host in {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}


def origin_allowed(origin: str | None, allowed: Iterable[str] = ()) -> bool:
    """No Origin (curl, the CLI), a browser extension, or one configured in allowed_origins."""
    if origin is None:
        return True
    origin = origin.strip()
    lowered = origin.lower()
    for scheme in EXTENSION_SCHEMES:
        if lowered.startswith(scheme) and len(origin) > len(scheme):
            return True
    return origin in set(allowed)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
