"""What the engine asks before it starts a job: may this named queue start jobs now?

``Engine.schedule`` asks a ``QueueGate``; the daemon hands in its schedule
(``idmd.engine.schedule_runner.ScheduleRunner``), and an engine without one
(tests, tools) has every queue open and knows only the default queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from idmd.protocol.checks import bad
from idmd.protocol.schedule import DEFAULT_QUEUE


def split_group(group: str) -> tuple[str, str | None]:
    """A start-order group (``Job.start_group``): the queue's name, and the start time or None."""
    queue, _, at = group.partition("@")  # a queue's name has no "@" (idmd.protocol.schedule)
    return queue, at or None


class QueueGate(Protocol):
    def may_start(self, group: str) -> bool:
        """Whether jobs of ``group`` (a queue's name, with a start time: ``Job.start_group``) may
        start now."""

    def check(self, queue: str, path: str) -> str:
        """``queue`` if such a queue exists, else InvalidParams naming ``path``."""

    def queue_caps(self) -> Mapping[str, int]:
        """Each named queue's own max_active (a queue without one is absent)."""


class AllOpen:
    """The gate of an engine without a schedule: the default queue, always open."""

    def may_start(self, group: str) -> bool:
        return True  # no clock: a job's start time needs the daemon's schedule

    def queue_caps(self) -> Mapping[str, int]:
        return {}

    def check(self, queue: str, path: str) -> str:
        if queue != DEFAULT_QUEUE:
            raise bad(path, f"no queue named {queue!r} (queues: {DEFAULT_QUEUE})")
        return queue
