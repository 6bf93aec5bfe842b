"""``ScheduleRunner``: the daemon's named queues and speed windows, applied on time.

The one owner of the schedule (kept in ``schedule.json`` beside config.toml).
It is the engine's ``QueueGate``: it tells ``Engine.schedule`` which queues may
start jobs and the engine which global speed limit applies, and it wakes by
itself (one asyncio timer) at the next time either changes. Times are the
daemon's wall clock in its time zone (``clock``: injected by tests, which set
it and call ``tick`` instead of waiting). When a queue closes, its running
jobs go back to ``queued`` with their parts kept. Every evaluation looks at
the state now, so a window that opened while the daemon was down applies at
start. The arithmetic is ``idmd.core.schedule``'s; checking what clients send
is ``idmd.protocol.schedule``'s.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from idmd.core.schedule import LimitWindow, QueuePlan, current_limit, next_limit_change
from idmd.engine.gate import QueueGate, split_group
from idmd.engine.queue import JobQueue
from idmd.events import EventBus
from idmd.instance import write_private
from idmd.protocol import schedule as proto
from idmd.protocol.checks import bad
from idmd.protocol.errors import InvalidParams
from idmd.protocol.events import Event, EventType
from idmd.protocol.jobs import FINISHED, Status

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
MAX_SLEEP = 3600.0  # wake at least hourly: a daylight-saving shift never delays a change by more
UNFINISHED = (Status.QUEUED, Status.DOWNLOADING, Status.WAITING)


class Engine(Protocol):
    """What the schedule asks of ``idmd.engine.manager.Engine``."""

    gate: QueueGate
    queue: JobQueue

    def schedule(self) -> None: ...

    def set_timed_limit(self, limit: int | None) -> None: ...

    def global_limit(self) -> int: ...

    async def hold_closed(self) -> None: ...


def local_now() -> datetime:
    """The daemon's wall clock, with its time zone."""
    return datetime.now().astimezone()


def schedule_file(config_file: Path) -> Path:
    return config_file.with_name("schedule.json")


def start_schedule(
    engine: Engine, bus: EventBus, config_file: Path, clock: Clock | None = None
) -> ScheduleRunner:
    """The daemon's schedule, read from beside ``config_file`` and made the engine's gate."""
    runner = ScheduleRunner(engine, bus, schedule_file(config_file), clock or local_now)
    runner.load()
    return runner


@dataclass(frozen=True)
class QueueSettings:
    name: str
    plan: QueuePlan = field(default_factory=QueuePlan)
    stop_when_done: bool = False
    max_active: int | None = None  # at most this many of its jobs at once (None: the global)

    def to_json(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "windows": [proto.window_dict(w) for w in plan.windows],
            "start_at": _iso(plan.start_at),
            "stop_when_done": self.stop_when_done,
            "held_at": _iso(plan.held_at),
            "max_active": self.max_active,
        }

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> QueueSettings:
        plan = QueuePlan(
            proto.parse_windows(data.get("windows", []), "windows"),
            proto.parse_when(data.get("start_at"), "start_at"),
            proto.parse_when(data.get("held_at"), "held_at"),
        )
        max_active = proto.queue_max_active(data.get("max_active"), "max_active")
        return cls(name, plan, bool(data.get("stop_when_done", False)), max_active)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value is not None else None


class ScheduleRunner:
    def __init__(self, engine: Engine, bus: EventBus, path: Path, clock: Clock = local_now) -> None:
        self._engine = engine
        self._bus = bus
        self._path = path
        self._clock = clock
        self._queues: dict[str, QueueSettings] = {
            proto.DEFAULT_QUEUE: QueueSettings(proto.DEFAULT_QUEUE)
        }
        self._limits: tuple[LimitWindow, ...] = ()
        self._open: dict[str, bool] = {}
        self._limit: int | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._unlisten: Callable[[], None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.next_wake: datetime | None = None  # the next change the timer waits for (wall clock)

    # -- life --------------------------------------------------------------------------------
    def load(self) -> None:
        """Read schedule.json and become the engine's gate, before the engine starts its first
        job. A file that cannot be read is moved aside (``schedule.json.bad``, logged), so that
        the next change does not overwrite what the user may want to mend."""
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
            queues = {
                proto.queue_name(name, "queues"): QueueSettings.from_json(name, item)
                for name, item in data.get("queues", {}).items()
            }
            self._limits = proto.parse_limits(data.get("limits", []))
            self._queues.update(queues)
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError, TypeError, InvalidParams) as exc:
            aside = self._path.with_name(self._path.name + ".bad")
            log.warning(
                "%s cannot be read (%s): moved to %s; "
                "no queues or speed windows until it is mended",
                self._path,
                exc,
                aside,
            )
            self._path.replace(aside)
        self._engine.gate = self
        self._evaluate(self._now(), emit=False)

    def start(self) -> None:
        self._unlisten = self._bus.listen(self._on_event)
        self.tick()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._unlisten is not None:
            self._unlisten()
        for task in self._tasks:
            task.cancel()  # a requeue still under way: the engine's stop stops every run anyway

    def _now(self) -> datetime:
        return self._clock()

    def _local(self, value: datetime | None) -> datetime | None:
        """A time as the daemon's wall clock reads it (naive): the core compares those."""
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(self._now().tzinfo).replace(tzinfo=None)

    # -- the gate ----------------------------------------------------------------------------
    def may_start(self, group: str) -> bool:
        queue, at = split_group(group)
        if at is not None and self._now().replace(tzinfo=None) < self._job_time(at):
            return False  # the job's own start time (the timer wakes then: ``_arm``)
        return self._open.get(queue, self._open.get(proto.DEFAULT_QUEUE, True))

    def _job_time(self, text: str) -> datetime:
        when = self._local(datetime.fromisoformat(text))
        assert when is not None
        return when

    def queue_caps(self) -> dict[str, int]:
        return {n: q.max_active for n, q in self._queues.items() if q.max_active is not None}

    def check(self, queue: str, path: str) -> str:
        proto.queue_name(queue, path)
        if queue not in self._queues:
            raise bad(path, f"no queue named {queue!r} (queues: {', '.join(self._queues)})")
        return queue

    # -- evaluation --------------------------------------------------------------------------
    def tick(self) -> None:
        """Apply the schedule as it stands now, then sleep until the next change."""
        self._evaluate(self._now(), emit=True)

    def _evaluate(self, now_aware: datetime, emit: bool) -> None:
        now = now_aware.replace(tzinfo=None)
        closed: list[str] = []
        for name, queue in self._queues.items():
            is_open = queue.plan.is_open(now)
            if self._open.get(name) != is_open and emit:
                event = EventType.QUEUE_OPENED if is_open else EventType.QUEUE_CLOSED
                self._bus.emit(
                    event, None, {"name": name, "next_change": _iso(queue.plan.next_change(now))}
                )
            if not is_open:
                closed.append(name)
            self._open[name] = is_open
        limit = current_limit(self._limits, now)
        if limit != self._limit or not emit:
            if emit:
                self._bus.emit(
                    EventType.SCHEDULE_LIMIT,
                    None,
                    {"limit": limit, "next_change": _iso(next_limit_change(self._limits, now))},
                )
            self._limit = limit
            self._engine.set_timed_limit(limit)
        if emit:
            if closed:
                self._spawn(self._engine.hold_closed())
            self._engine.schedule()
            self._arm(now_aware, now)

    def _arm(self, now_aware: datetime, now: datetime) -> None:
        if self._timer is not None:
            self._timer.cancel()
        times = [q.plan.next_change(now) for q in self._queues.values()]
        times.append(next_limit_change(self._limits, now))
        times.extend(t for t in self._job_times() if t > now)
        soonest = min((t for t in times if t is not None), default=None)
        self.next_wake = soonest
        delay = MAX_SLEEP
        if soonest is not None:
            delay = min(
                MAX_SLEEP,
                max(0.0, (soonest.replace(tzinfo=now_aware.tzinfo) - now_aware).total_seconds()),
            )
        self._timer = asyncio.get_running_loop().call_later(delay, self._wake)

    def _wake(self) -> None:
        """The timer's callback: a bug while applying the schedule is logged, and the timer is
        set again a minute later rather than never (the loop would only log it)."""
        try:
            self.tick()
        except Exception:
            log.exception("applying the schedule failed; trying again in a minute")
            self._timer = asyncio.get_running_loop().call_later(60.0, self._wake)

    def _job_times(self) -> list[datetime]:
        """The start times of the queued jobs that have one (looked at when the timer is set)."""
        return [
            self._job_time(job.options["start_at"])
            for job in self._engine.queue
            if job.status == Status.QUEUED and job.options.get("start_at")
        ]

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_event(self, event: Event) -> None:
        """A job with a start time came or changed: set the timer again. A job of a
        ``stop_when_done`` queue finished: hold the queue once nothing is left in it."""
        if event.type in (EventType.JOB_ADDED, EventType.JOB_UPDATED) and "start_at" in (
            event.data.get("options") or {}
        ):
            asyncio.get_running_loop().call_soon(self.tick)
            return
        if (
            event.type != EventType.JOB_STATUS
            or event.data.get("status") not in FINISHED
            or event.job is None
        ):
            return
        job = self._engine.queue.get(event.job)
        queue = self._queues.get(job.queue_name) if job is not None else None
        if queue is None or not queue.stop_when_done or queue.plan.held_at is not None:
            return
        # Later, not inside the status change that told us: holding re-runs the engine's schedule.
        asyncio.get_running_loop().call_soon(self._hold_if_done, queue.name)

    def _hold_if_done(self, name: str) -> None:
        queue = self._queues.get(name)
        if queue is None or queue.plan.held_at is not None:
            return
        if not any(j.queue_name == name and j.status in UNFINISHED for j in self._engine.queue):
            self._hold(name, "done")

    # -- the API -----------------------------------------------------------------------------
    def queues(self) -> list[dict[str, Any]]:
        now = self._now().replace(tzinfo=None)
        counts: dict[str, dict[str, int]] = {}
        for job in self._engine.queue:
            if job.status in UNFINISHED:
                name = job.queue_name if job.queue_name in self._queues else proto.DEFAULT_QUEUE
                slot = counts.setdefault(name, {"queued": 0, "downloading": 0})
                key = "downloading" if job.status == Status.DOWNLOADING else "queued"
                slot[key] += 1
        return [self._describe(q, now, counts.get(q.name)) for q in self._queues.values()]

    def get_queue(self, name: str) -> dict[str, Any]:
        return next(q for q in self.queues() if q["name"] == self.check(name, "name"))

    def _describe(
        self, queue: QueueSettings, now: datetime, counts: dict[str, int] | None
    ) -> dict[str, Any]:
        stored = queue.to_json()
        return {
            "name": queue.name,
            "windows": stored["windows"],
            "start_at": stored["start_at"],
            "stop_when_done": queue.stop_when_done,
            "max_active": queue.max_active,
            "held": queue.plan.held(now),
            "open": queue.plan.is_open(now),
            "next_change": _iso(queue.plan.next_change(now)),
            "jobs": counts or {"queued": 0, "downloading": 0},
        }

    def set_queue(
        self,
        name: str,
        windows: Any = None,
        start_at: Any = ...,
        stop_when_done: Any = None,
        max_active: Any = ...,
    ) -> dict[str, Any]:
        """Create or change a queue; the fields left out keep their value."""
        proto.queue_name(name, "name")
        queue = self._queues.get(name)
        if queue is None and len(self._queues) >= proto.MAX_QUEUES:
            raise bad("name", f"at most {proto.MAX_QUEUES} queues")
        queue = queue or QueueSettings(name)
        plan = queue.plan
        if windows is not None:
            plan = replace(plan, windows=proto.parse_windows(windows, "windows"))
        if start_at is not ...:
            plan = replace(plan, start_at=self._local(proto.parse_when(start_at, "start_at")))
        if stop_when_done is not None:
            if not isinstance(stop_when_done, bool):
                raise bad("stop_when_done", "must be true or false")
            queue = replace(queue, stop_when_done=stop_when_done)
        if max_active is not ...:
            queue = replace(queue, max_active=proto.queue_max_active(max_active, "max_active"))
        self._queues[name] = replace(queue, plan=plan)
        self._changed()
        return self.get_queue(name)

    def remove_queue(self, name: str) -> list[str]:
        """Forget a queue; its unfinished jobs join the default queue (their ids are returned)."""
        self.check(name, "name")
        if name == proto.DEFAULT_QUEUE:
            raise bad(
                "name",
                "the default queue cannot be removed (give it no windows to keep it always open)",
            )
        del self._queues[name]
        moved = [
            j.id for j in self._engine.queue if j.queue_name == name and j.status not in FINISHED
        ]
        self._changed()
        return moved

    def hold(self, name: str) -> dict[str, Any]:
        """Stop a queue by hand: nothing more starts and its running jobs go back to the queue."""
        self.check(name, "name")
        self._hold(name, "stopped")
        return self.get_queue(name)

    def _hold(self, name: str, why: str) -> None:
        queue = self._queues[name]
        now = self._now().replace(tzinfo=None)
        self._queues[name] = replace(
            queue, plan=replace(queue.plan, held_at=now - timedelta(seconds=now.second))
        )
        log.info("queue %s held (%s)", name, why)
        self._changed()

    def release(self, name: str) -> dict[str, Any]:
        """Start a queue by hand: lifts a hold (the windows and start time still apply)."""
        self.check(name, "name")
        queue = self._queues[name]
        self._queues[name] = replace(queue, plan=replace(queue.plan, held_at=None))
        self._changed()
        return self.get_queue(name)

    def limits(self) -> dict[str, Any]:
        now = self._now().replace(tzinfo=None)
        return {
            "limits": [proto.limit_dict(item) for item in self._limits],
            "limit": current_limit(self._limits, now),
            "effective": self._engine.global_limit(),
            "next_change": _iso(next_limit_change(self._limits, now)),
            "now": self._now().isoformat(timespec="seconds"),
        }

    def set_limits(self, limits: Any) -> dict[str, Any]:
        self._limits = proto.parse_limits(limits)
        self._changed()
        return self.limits()

    def _changed(self) -> None:
        self._save()
        self._bus.emit(EventType.SCHEDULE_CHANGED, None, {"queues": list(self._queues)})
        self.tick()

    def _save(self) -> None:
        data = {
            "queues": {name: q.to_json() for name, q in self._queues.items()},
            "limits": [proto.limit_dict(item) for item in self._limits],
        }
        write_private(self._path, json.dumps(data, indent=2) + "\n")
