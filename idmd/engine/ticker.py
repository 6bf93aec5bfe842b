"""Live numbers: speed and ETA per job, ``job.progress`` at most 10/s per job, ``stats`` at 1 Hz.

Runners only mark a job as changed (``touch``); this one task turns changes
into events, so a fast download cannot flood the bus.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable

from idmd.engine.jobs import Job
from idmd.events import EventBus
from idmd.protocol.events import EventType
from idmd.protocol.jobs import Status

TICK = 0.1  # seconds between progress events of one job, at most
WINDOW = 3.0  # seconds of samples the speed is averaged over


class SpeedMeter:
    """Bytes per second over the last few seconds of ``(time, done)`` samples."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int]] = deque()

    def sample(self, now: float, done: int) -> float:
        samples = self._samples
        if samples and done < samples[-1][1]:
            samples.clear()  # started over
        samples.append((now, done))
        while len(samples) > 2 and now - samples[0][0] > WINDOW:
            samples.popleft()
        first_t, first_done = samples[0]
        if now - first_t < 0.2:
            return 0.0
        return (done - first_done) / (now - first_t)


def eta(size: int | None, done: int, speed: float) -> float | None:
    if size is None or speed <= 0:
        return None
    return max(size - done, 0) / speed


class Ticker:
    def __init__(
        self, bus: EventBus, jobs: Callable[[], Iterable[Job]], stats: Callable[[], dict]
    ) -> None:
        self._bus = bus
        self._jobs = jobs
        self._stats = stats
        self._dirty: set[str] = set()
        self._meters: dict[str, SpeedMeter] = {}
        self.session_bytes = 0
        self._last_done: dict[str, int] = {}

    def touch(self, job_id: str) -> None:
        self._dirty.add(job_id)

    def begin(self, job: Job) -> None:
        """A run starts: bytes from here on count as downloaded in this session."""
        self._last_done[job.id] = job.done

    def forget(self, job: Job) -> None:
        """A run ends: count its last bytes, drop its meter."""
        self.session_bytes += max(job.done - self._last_done.pop(job.id, job.done), 0)
        self._meters.pop(job.id, None)
        self._dirty.discard(job.id)

    def emit_progress(self, job: Job) -> None:
        self._bus.emit(
            EventType.JOB_PROGRESS,
            job.id,
            {
                "done": job.done,
                "size": job.size,
                "speed": round(job.speed),
                "eta": None if job.eta is None else round(job.eta, 1),
                "connections": job.connections,
                "segments": job.segment_lists(),
            },
        )

    def tick(self, now: float) -> None:
        for job in self._jobs():
            if job.status != Status.DOWNLOADING:
                continue
            meter = self._meters.setdefault(job.id, SpeedMeter())
            previous = self._last_done.get(job.id, job.done)
            if job.done > previous:
                self.session_bytes += job.done - previous
            self._last_done[job.id] = job.done
            speed = meter.sample(now, job.done)
            changed = job.id in self._dirty or abs(speed - job.speed) >= 1
            job.speed = speed
            job.eta = eta(job.size, job.done, speed)
            if changed:
                self.emit_progress(job)
        self._dirty.clear()

    async def run(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(TICK)
            now = time.monotonic()
            self.tick(now)
            ticks += 1
            if ticks % 10 == 0:
                self._bus.emit(EventType.STATS, None, self._stats())
