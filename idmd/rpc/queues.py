"""``queues.*`` and ``schedule.*``: named queues with their windows, and speed windows.

The daemon's ``ScheduleRunner`` owns both and checks what is sent
(-32602 naming the field); these namespaces only reach it.
"""

from __future__ import annotations

from typing import Any

from idmd.engine.schedule_runner import ScheduleRunner
from idmd.protocol.errors import NotAllowed
from idmd.protocol.schedule import DEFAULT_QUEUE
from idmd.rpc.namespace import Namespace

Windows = list[Any]  # (``Queues.list`` hides the builtin inside the class)
_KEEP: Any = object()  # a field left out of queues.set keeps its value


class _Scheduled(Namespace):
    @property
    def _schedule(self) -> ScheduleRunner:
        runner = self._ctx.schedule
        if runner is None:
            raise NotAllowed("the schedule is not running (the daemon is starting or stopping)")
        return runner


class Queues(_Scheduled):
    def list(self) -> list[dict[str, Any]]:
        """Every queue: its windows, start time, hold, whether it is open now and its jobs."""
        return self._schedule.queues()

    def set(
        self,
        name: str,
        windows: Windows | None = None,
        start_at: str | None = _KEEP,
        stop_when_done: bool | None = None,
        max_active: int | None = _KEEP,
    ) -> dict[str, Any]:
        """Create or change a queue (fields left out keep their value); returns the queue.
        ``max_active``: at most this many of its jobs at once (null or 0: no limit of its own)."""
        return self._schedule.set_queue(
            name,
            windows,
            ... if start_at is _KEEP else start_at,
            stop_when_done,
            ... if max_active is _KEEP else max_active,
        )

    async def remove(self, name: str) -> bool:
        """Forget a queue; its unfinished jobs join the default queue."""
        for job_id in self._schedule.remove_queue(name):
            await self._engine.update(job_id, {"queue": DEFAULT_QUEUE})
        return True

    def start(self, name: str) -> dict[str, Any]:
        """Lift a hold (stopped by hand or when done): the queue's windows still apply."""
        return self._schedule.release(name)

    def stop(self, name: str) -> dict[str, Any]:
        """Hold a queue until its next window opens (or queues.start): running jobs are requeued."""
        return self._schedule.hold(name)


class Schedule(_Scheduled):
    def get(self) -> dict[str, Any]:
        """The speed windows, the limit of the window open now (null: none) and the
        effective limit."""
        return self._schedule.limits()

    def set(self, limits: list[Any]) -> dict[str, Any]:
        """Replace the speed windows: ``[{days, start, stop, limit}]`` or
        ``"mon-fri 08:00-18:00 1M"``."""
        return self._schedule.set_limits(limits)
