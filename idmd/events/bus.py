"""The one place events are emitted.

Every event gets the next ``seq``; the last ``retention`` events are kept so a
client that reconnects with the last seq it saw misses nothing. Listeners are
called synchronously and must not block: the RPC layer's subscribers only put
the event on their own bounded queue.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from idmd.protocol.events import Event, EventType

Listener = Callable[[Event], None]
log = logging.getLogger(__name__)


class EventBus:
    def __init__(self, retention: int = 4096, first_seq: int = 0) -> None:
        self._retained: deque[Event] = deque(maxlen=retention)
        self._listeners: list[Listener] = []
        self._seq = first_seq
        self.node: str | None = None  # in a fleet, this node's name: every event carries it

    @property
    def seq(self) -> int:
        """The seq of the last event emitted (0 before any)."""
        return self._seq

    @property
    def listener_count(self) -> int:
        return len(self._listeners)

    def emit(
        self,
        type: EventType,
        job: str | None = None,
        data: dict[str, Any] | None = None,
        retain: bool = True,
        node: str | None = None,
        at: float | None = None,
    ) -> Event:
        """Send an event to every listener; ``retain=False`` keeps it out of the replay buffer
        (pairing requests, which anyone can cause, must not push job events out of it).
        ``node`` and ``at``: an event another node of a fleet relayed (``idmd.fleet.relay``)."""
        self._seq += 1
        event = Event(
            self._seq,
            EventType(type),
            job,
            time.time() if at is None else at,
            data or {},
            node or self.node,
        )
        if retain:
            self._retained.append(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # one broken listener must not stop the engine
                log.exception("event listener failed")
        return event

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns the callable that removes it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def replay(self, since: int) -> tuple[list[Event], bool]:
        """Retained events with ``seq > since``, and whether some were already gone (reset)."""
        if not self._retained:
            return [], since != self._seq  # since > seq: a restarted daemon, the client must reset
        oldest = self._retained[0].seq
        reset = since < oldest - 1 or since > self._seq
        start = max(since + 1, oldest)
        events = [e for e in self._retained if e.seq >= start] if since < self._seq else []
        return events, reset
