"""idm's ``job.status`` events as aria2's notifications. Pure."""

from __future__ import annotations

from typing import Any

from idmd.aria2.gid import Gids
from idmd.protocol.events import Event, EventType

METHOD_OF_STATUS = {
    "downloading": "aria2.onDownloadStart",
    "paused": "aria2.onDownloadPause",
    "cancelled": "aria2.onDownloadStop",
    "completed": "aria2.onDownloadComplete",
    "failed": "aria2.onDownloadError",
}
TYPES = (EventType.JOB_STATUS,)  # the only events a notification comes from


def notification(event: Event, gids: Gids) -> dict[str, Any] | None:
    """The aria2 notification for ``event``, or None when aria2 has none for it."""
    if event.type is not EventType.JOB_STATUS or event.job is None:
        return None
    method = METHOD_OF_STATUS.get(str(event.data.get("status")))
    if method is None:
        return None
    return {"jsonrpc": "2.0", "method": method, "params": [{"gid": gids.gid(event.job)}]}
