"""What the aria2 face learns from the event bus, so a poll costs little: which
jobs are downloading (``tellActive`` reads only those through ``Engine.get``),
and a generation that changes with every event except progress. The long lists
(``tellWaiting``, ``tellStopped``) and the history count are kept, already
encoded, until the generation moves: a waiting or finished job changes only
through an event (added, status, updated, removed, config)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from idmd.events import EventBus
from idmd.protocol.events import Event, EventType

QUIET = frozenset({EventType.JOB_PROGRESS, EventType.STATS, EventType.JOB_LOG})
MAX_CACHED = 64  # distinct (method, window, keys) answers kept per generation
MAX_CACHED_CHARS = 16 << 20  # and at most this much encoded text (a 1,000-job list is about 0.5 MB)


class Tracker:
    def __init__(self, bus: EventBus) -> None:
        self.active: dict[str, None] = {}  # ids of downloading jobs, in the order they started
        self.generation = 0
        self._cache: dict[Hashable, Any] = {}
        self._chars = 0
        self.stop: Callable[[], None] = bus.listen(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.type in QUIET:
            return
        self.generation += 1
        self._cache.clear()
        self._chars = 0
        if event.job is None:
            return
        if event.type is EventType.JOB_STATUS and event.data.get("status") == "downloading":
            self.active[event.job] = None
        elif event.type in (EventType.JOB_STATUS, EventType.JOB_REMOVED):
            self.active.pop(event.job, None)

    def cached(self, key: Hashable) -> Any:
        return self._cache.get(key)

    def keep(self, key: Hashable, value: Any, generation: int) -> Any:
        """Keep ``value`` if nothing changed since ``generation`` (taken before computing it)."""
        size = len(getattr(value, "text", ""))
        if (
            generation == self.generation
            and len(self._cache) < MAX_CACHED
            and self._chars + size <= MAX_CACHED_CHARS
        ):
            self._cache[key] = value
            self._chars += size
        return value
