"""Checks made before a WebSocket or SSE upgrade: Host (against DNS rebinding)
and Origin (no web page may talk to the daemon). Pure functions."""

from __future__ import annotations

from collections.abc import Iterable

from idmd.core.origins import extension_id


def host_allowed(host: str | None, port: int) -> bool:
    """Host must name the loopback interface with the daemon's port."""
    if not host:
        return False
    host = host.strip().lower()
    return host in {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}


def origin_allowed(
    origin: str | None, allowed: Iterable[str] = (), extension_ids: Iterable[str] = ()
) -> bool:
    """No Origin (curl, the CLI), a well-formed browser extension Origin (one of
    ``extension_ids`` when that pins some), or one configured in allowed_origins."""
    if origin is None:
        return True
    origin = origin.strip()
    ext_id = extension_id(origin)
    if ext_id is not None:
        pinned = set(extension_ids)
        return not pinned or ext_id in pinned
    return origin in set(allowed)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
