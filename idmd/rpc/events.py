"""``events.*``: a snapshot, the replay after ``since``, then live events."""

from __future__ import annotations

from typing import Any

from idmd.events.subscriber import Subscriber
from idmd.protocol.events import Event
from idmd.protocol.params import check_subscription
from idmd.rpc.namespace import Namespace


class Events(Namespace):
    def subscribe(
        self,
        since: int | None = None,
        jobs: list[str] | None = None,
        types: list[str] | None = None,
        detail: list[str] | None = None,
        batch: bool = False,
    ) -> dict[str, Any]:
        """Start (or replace) this connection's subscription.

        ``since`` null: from now; a seq: every retained event after it is replayed
        (``reset`` true when some are gone: take the snapshot as the whole truth).
        ``jobs`` limits job events to those ids; ``types`` to those event types;
        ``detail`` (default: ``jobs``) names the jobs whose progress carries segments.
        ``batch``: events waiting together may arrive as one array of notifications.
        """
        check_subscription(since, types)
        bus = self._ctx.bus
        engine = self._engine
        replay: list[Event]
        if since is None:
            replay, reset = [], True
        else:
            replay, reset = bus.replay(since)
        seq = bus.seq
        snapshot_jobs = engine.snapshot()
        if jobs is not None:
            wanted = set(jobs)
            snapshot_jobs = [j for j in snapshot_jobs if j.get("id") in wanted]
        sub = Subscriber(self._state.queue_limit, jobs, types)
        self._peer.subscribe(
            sub, replay, frozenset(detail if detail is not None else jobs or ()), batch
        )
        return {
            "seq": seq,
            "reset": reset,
            "snapshot": {"jobs": snapshot_jobs, "stats": engine.stats()},
        }

    def unsubscribe(self) -> bool:
        """Stop the events on this connection."""
        self._peer.unsubscribe()
        return True
