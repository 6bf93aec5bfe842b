"""The fixed list of event types and the event value.

``seq`` is one global, strictly increasing integer; ``at`` is Unix time.
Critical events are never dropped for a subscriber (docs/protocol.md, Events).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    JOB_ADDED = "job.added"
    JOB_UPDATED = "job.updated"
    JOB_STATUS = "job.status"
    JOB_PROGRESS = "job.progress"
    JOB_DUPLICATE = "job.duplicate"
    JOB_REMOVED = "job.removed"
    JOB_LOG = "job.log"
    STATS = "stats"
    PAIRING_REQUESTED = "pairing.requested"
    PAIRING_APPROVED = "pairing.approved"
    CONFIG_CHANGED = "config.changed"
    QUEUE_OPENED = "queue.opened"
    QUEUE_CLOSED = "queue.closed"
    SCHEDULE_LIMIT = "schedule.limit"
    SCHEDULE_CHANGED = "schedule.changed"


CRITICAL: frozenset[EventType] = frozenset(
    {
        EventType.JOB_ADDED,
        EventType.JOB_STATUS,
        EventType.JOB_DUPLICATE,
        EventType.JOB_REMOVED,
        EventType.PAIRING_REQUESTED,
    }
)

# Events that only the newest copy matters of: a subscriber keeps the latest per job.
COALESCED: frozenset[EventType] = frozenset({EventType.JOB_PROGRESS, EventType.STATS})


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    type: EventType
    job: str | None
    at: float
    data: dict[str, Any]
    node: str | None = None  # in a fleet: the node the event happened on (docs/protocol.md)

    @property
    def critical(self) -> bool:
        return self.type in CRITICAL

    def to_dict(self) -> dict[str, Any]:
        event = {
            "seq": self.seq,
            "type": str(self.type),
            "job": self.job,
            "at": self.at,
            "data": self.data,
        }
        if self.node is not None:
            event["node"] = self.node
        return event
