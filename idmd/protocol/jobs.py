"""Job statuses, the allowed transitions between them, and the choices of some
options (declared in full in idmd/protocol/options.py).

Pure: the engine, the RPC layer and the clients share these names.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    QUEUED = "queued"
    DOWNLOADING = "downloading"
    PAUSED = "paused"
    WAITING = "waiting"  # for a duplicate decision
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED: frozenset[Status] = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.QUEUED: frozenset(
        {Status.DOWNLOADING, Status.PAUSED, Status.CANCELLED, Status.WAITING, Status.FAILED}
    ),
    Status.DOWNLOADING: frozenset(
        {
            Status.PAUSED,
            Status.COMPLETED,
            Status.FAILED,
            Status.CANCELLED,
            Status.QUEUED,
            Status.WAITING,
        }
    ),
    Status.PAUSED: frozenset({Status.QUEUED, Status.DOWNLOADING, Status.CANCELLED}),
    Status.WAITING: frozenset(
        {Status.QUEUED, Status.DOWNLOADING, Status.CANCELLED, Status.COMPLETED}
    ),
    Status.FAILED: frozenset({Status.QUEUED, Status.CANCELLED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset({Status.QUEUED}),
}


def can_move(old: Status, new: Status) -> bool:
    return new in TRANSITIONS[old]


QUALITIES = ("best", "2160p", "1440p", "1080p", "720p", "480p", "360p", "audio")
DUPLICATE_ACTIONS = ("rename", "overwrite", "skip", "ask")
START_MODES = ("now", "queued", "paused")
MODES = ("auto", "http", "media")
