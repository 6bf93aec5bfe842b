"""The connections of one download: rounds of workers that each fetch segments.

A worker keeps taking work (an unowned segment, else the far half of the
largest remaining one) until none is left; a failing one retries with
back-off and finally gives its segment back. A round that gains nothing
fails the job with the last error.

The endgame: when nothing is left to hand out, an idle worker asks again for
the remaining range of the slowest segment (``idmd.core.endgame`` decides
which and whether); the first stream to reach the segment's end wins and the
other is cancelled, so a stalled or crawling connection never holds the job.

How many connections: ``idmd.core.ramp`` starts with a few and doubles them
while the aggregate speed grows, holds where it stops growing and tries more
again later; a connection is added by splitting the largest remaining segment,
and retired by ending its stream (its segment's remainder goes back to the
others). The job's ``connections`` option is the ceiling.

Byte checks: every range is asked for a few KiB past its end; where the
neighbour's first bytes are already on disk they are compared. Boundaries
that could not be compared on the way are fetched again at the end. A
difference means the server's ranges lie (``RangeMismatch``): the download
starts over in one stream.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from idmd.core.backoff import retry_wait
from idmd.core.endgame import Tail, overlap_for, pick_duplicate
from idmd.core.ramp import Ramp
from idmd.core.segments import (
    Segment,
    split_floor,
    split_largest,
    splittable,
    take_unowned,
    total_done,
)
from idmd.engine.http.direct import stream_direct, take_over
from idmd.engine.http.errors import FetchError, RangesUnsupported, ValidatorChanged
from idmd.engine.http.fetch import open_response, same_as_disk, stream_into
from idmd.engine.http.partfile import PartFile
from idmd.engine.http.response import KnownFile, changed_validators, range_problem, read_headers
from idmd.engine.limits import HostSlots
from idmd.engine.runner import JobContext, JobError

ENDGAME_TICK = 0.25  # seconds between an idle worker's looks at the streams still running
RATE_WEIGHT = 0.3  # weight of the newest write in a stream's moving rate
STEER_TICK = 0.05  # seconds between two looks at the ramp's target


@dataclass
class Stream:
    """One response being copied into a segment, and how fast it goes."""

    segment: Segment
    task: asyncio.Task[bool]
    opened: float
    last_write: float
    rate: float = 0.0  # bytes per second, a moving average over its writes
    written: int = 0

    def wrote(self, n: int) -> None:
        now = time.monotonic()
        pace = n / max(now - self.last_write, 1e-3)
        self.rate = pace if not self.written else (1 - RATE_WEIGHT) * self.rate + RATE_WEIGHT * pace
        self.written += n
        self.last_write = now


@dataclass
class Work:
    """What a worker does next: a segment from ``start``, as its owner or as a duplicate."""

    segment: Segment
    duplicate: bool = False
    response: aiohttp.ClientResponse | None = None
    start: int = 0  # where the response's first byte belongs
    stop: int | None = None  # where the response's range ends (exclusive), when known


class Connections(KnownFile):
    def __init__(
        self,
        ctx: JobContext,
        part: PartFile,
        url: str,
        headers: Mapping[str, str],
        hosts: HostSlots,
        connections: int,
    ) -> None:
        self.ctx = ctx
        self.job = ctx.job
        self.part = part
        self.url = url
        self.headers = headers
        self.hosts = hosts
        self.host = urlsplit(url).hostname or ""
        self.connections = connections
        self.state: dict[str, Any] = self.job.state["http"]
        self.last_error: FetchError | None = None
        self.active = 0
        self.streams: dict[int, Stream] = {}  # by worker
        self.pace: dict[int, float] = {}  # each worker's last stream rate
        self.checked: set[int] = set()  # boundaries whose bytes were compared
        self.changed = asyncio.Event()  # a stream ended: idle workers look again
        self.ramp = Ramp(connections if self.ranges else 1)
        self.workers: dict[int, asyncio.Task[None]] = {}
        self.retiring: set[int] = set()  # workers told to end (the ramp holds fewer)
        self.gave_up = False  # a worker gave its segment back this round: open no more

    def _all_done(self) -> bool:
        return all(s.finished for s in self.job.segments)

    async def run(self, first: tuple[aiohttp.ClientResponse, Segment] | None) -> None:
        """Fetch every segment; the caller holds one host slot for worker 0."""
        try:
            while not self._all_done() or first is not None:
                before = total_done(self.job.segments)
                self.gave_up = False
                async with asyncio.TaskGroup() as group:
                    start = (
                        Work(first[1], response=first[0], start=0, stop=self.size)
                        if first
                        else None
                    )
                    self._spawn(group, start)
                    first = None
                    self._open_more(group, self.ramp.target - self.active)
                    if self.ramp.ceiling > 1 and self._splittable():
                        group.create_task(self._steer(group))
                stuck = not self.ranges or total_done(self.job.segments) == before
                if not self._all_done() and stuck:
                    error = self.last_error or FetchError("no progress")
                    raise JobError(error.code, error.message)
                if not self._all_done():
                    await self.hosts.acquire(self.host)  # another round for the segments given back
        except BaseExceptionGroup as group_error:
            failure = group_error.exceptions[0]
            if isinstance(failure, FetchError) and not isinstance(
                failure, RangesUnsupported | ValidatorChanged
            ):
                # A connection's answer no retry can help (an expired link's 403 midway):
                # the job fails with it, its part and checkpoint kept for a retry or a new link.
                raise JobError(failure.code, failure.message) from None
            raise failure from None
        if self.ranges and self.size:
            await self._check_boundaries()

    def _splittable(self) -> bool:
        """Whether a piece could ever be split off (a small file is one stream: no steering)."""
        return splittable(self.size, self.connections, self.ctx.config.min_split)

    def _spawn(self, group: asyncio.TaskGroup, work: Work | None) -> int:
        """Start a worker (its host slot is held already); returns its id."""
        wid = len(self.workers)
        if work is not None:
            work.segment.owner = wid
        self.active += 1  # counted from now, so the ramp sees it at once
        self.workers[wid] = group.create_task(self._worker(wid, work))
        return wid

    def _open_more(self, group: asyncio.TaskGroup, wanted: int) -> None:
        """Up to ``wanted`` more connections, each with a piece of its own; where none can be
        opened (no free host slot, nothing left to split) the ramp is told."""
        for _ in range(wanted):
            if not self.hosts.try_acquire(self.host):
                self.ramp.unreachable(time.monotonic(), self.active)
                return
            segment = self._next_segment(len(self.workers))
            if segment is None:
                self.hosts.release(self.host)
                self.ramp.unreachable(time.monotonic(), self.active)
                return
            self._spawn(group, Work(segment))

    def _retire(self, surplus: int) -> None:
        """End the streams of ``surplus`` workers, the slowest first; what is left of their
        segments is taken by the others as they finish theirs."""
        owners = [
            (stream.rate, wid)
            for wid, stream in self.streams.items()
            if wid not in self.retiring
            and stream.segment.owner == wid
            and sum(1 for s in self.streams.values() if s.segment is stream.segment) == 1
        ]
        for _, wid in sorted(owners)[:surplus]:
            self.retiring.add(wid)
            self.streams[wid].task.cancel()

    async def _steer(self, group: asyncio.TaskGroup) -> None:
        """Follow the ramp's target until every worker has ended."""
        target = self.ramp.target
        while True:
            running = [task for task in self.workers.values() if not task.done()]
            if not running:
                return
            await asyncio.wait(running, timeout=STEER_TICK)
            if self._all_done():
                continue
            staying = self.active - len(self.retiring)
            new = self.ramp.observe(time.monotonic(), staying)
            if new != target:
                self.ctx.log(f"connections: {target} -> {new} ({self.ramp.reason})", "info")
                target = new
            if target > staying and not self.gave_up:
                self._open_more(group, target - staying)
            elif target < staying:
                self._retire(staying - target)

    async def _worker(self, wid: int, work: Work | None) -> None:
        """One connection; it holds one host slot, released when it ends."""
        attempts = 0
        try:
            if work is None:
                work = await self._next_work(wid)
            while work is not None:
                segment = work.segment
                progress = segment.done
                try:
                    if await self._stream(wid, work):
                        self.checked.add(segment.end)
                except FetchError as exc:
                    if not exc.retriable:
                        raise
                    self.last_error = exc
                    if work.duplicate:
                        self.ctx.log(f"connection {wid} (a duplicate) ended: {exc.message}", "info")
                        return
                    # Bytes gained reset the count, except for one stream, which starts over anyway.
                    attempts = 1 if segment.done > progress and self.ranges else attempts + 1
                    if attempts > self.ctx.config.retries:
                        self.ctx.log(f"connection {wid} gave up: {exc.message}", "warning")
                        segment.owner = None
                        self.gave_up = True
                        return
                    wait = retry_wait(attempts, exc.retry_after)
                    self.ctx.log(
                        f"connection {wid}: {exc.message}; retry {attempts} in {wait:.1f} s", "info"
                    )
                    await asyncio.sleep(wait)
                    continue
                finally:
                    if work.response is not None:
                        work.response.close()
                        work.response = None
                if segment.owner == wid:
                    segment.owner = None
                if wid in self.retiring:
                    return  # the ramp holds fewer connections: this one takes no more work
                attempts = 0
                work = await self._next_work(wid)
        finally:
            self.retiring.discard(wid)
            self.active -= 1
            self.hosts.release(self.host)
            self.changed.set()

    async def _stream(self, wid: int, work: Work) -> bool:
        """Open ``work``'s response if needed and copy it into its segment; True if the boundary
        past its end was compared.

        Opening and copying run as their own task so that the winner of a
        duplicated segment can cancel the loser, even one still waiting for
        its response headers (the loser then simply looks for more work).
        """
        segment = work.segment

        async def open_and_copy() -> bool:
            if work.response is None:
                await self._open(work)
            assert work.response is not None
            stop = work.stop
            overlap = overlap_for(stop - work.start) if stop is not None else 0

            def check(end: int) -> int:
                neighbour = next((s for s in self.job.segments if s.start == end), None)
                if stop is None or neighbour is None:
                    return 0
                return min(overlap, stop - end, neighbour.done)

            checked = check if self.ranges and self.size else None
            reader = take_over(work.response) if self.size is not None else None
            if reader is not None:
                return await stream_direct(
                    reader,
                    segment,
                    self.part,
                    self.ctx.limiter,
                    lambda n: self._on_write(wid, n),
                    work.start,
                    checked,
                    self.ctx.config.stall_timeout,
                )
            return await stream_into(
                work.response,
                segment,
                self.part,
                self.ctx.limiter,
                lambda n: self._on_write(wid, n),
                until_eof=self.size is None,
                start=work.start,
                check=checked,
            )

        now = time.monotonic()
        task = asyncio.ensure_future(open_and_copy())
        stream = self.streams[wid] = Stream(segment, task, now, now)
        try:
            await asyncio.wait([task])
        finally:
            if not task.done():  # this worker was cancelled (pause, stop, another failed)
                task.cancel()
                await asyncio.wait([task])
            del self.streams[wid]
            self.pace[wid] = stream.rate
            self.changed.set()
        if task.cancelled():
            return False  # another stream finished this segment first
        checked = task.result()
        if segment.finished:
            for other in self.streams.values():
                if other.segment is segment:
                    other.task.cancel()
        return checked

    async def _next_work(self, wid: int) -> Work | None:
        """A segment to own, else (the endgame) a slow one to duplicate; None when all is done."""
        while True:
            segment = self._next_segment(wid)
            if segment is not None:
                return Work(segment)
            if not self.ranges or self.size is None or self._all_done() or not self.streams:
                return None
            running = [
                s
                for s in self.job.segments
                if not s.finished and any(t.segment is s for t in self.streams.values())
            ]
            now = time.monotonic()
            tails = []
            for seg in running:
                streams = [t for t in self.streams.values() if t.segment is seg]
                tails.append(
                    Tail(
                        remaining=seg.remaining,
                        rate=max(t.rate for t in streams),
                        silent=now - max(t.last_write for t in streams),
                        streams=len(streams),
                    )
                )
            chosen = pick_duplicate(tails, self.pace.get(wid, 0.0))
            if chosen is not None:
                segment = running[chosen]
                self.ctx.log(
                    f"connection {wid} also fetches the last {segment.remaining} bytes "
                    f"before {segment.end} (endgame)",
                    "info",
                )
                return Work(segment, duplicate=True)
            self.changed.clear()
            try:
                async with asyncio.timeout(ENDGAME_TICK):
                    await self.changed.wait()
            except TimeoutError:
                pass

    async def _open(self, work: Work) -> None:
        segment = work.segment
        if not self.ranges:
            segment.done = 0  # one stream: every request starts again from the beginning
            if self.size is None:
                segment.end = 0
        start = segment.pos if self.ranges else None
        end = segment.end if self.ranges else None
        if end is not None and start is not None and self.size is not None:
            # A few KiB past the end, to compare with the neighbour's first bytes.
            end = min(end + overlap_for(end - start), self.size)
        response = await open_response(
            self.ctx.session,
            self._fetch_url(),
            self.headers,
            start,
            end,
            self.ctx.config.stall_timeout,
            self.ctx.auth,
        )
        if start is not None:
            problem = range_problem(response.status, response.headers, start)
            if problem:
                response.close()
                raise RangesUnsupported(problem)
        info = read_headers(response.status, str(response.url), response.headers, start)
        changed = changed_validators(self.state, info.etag, info.last_modified, info.size)
        if changed:
            response.close()
            raise ValidatorChanged(changed)
        work.response, work.start, work.stop = response, start or 0, end

    def _fetch_url(self) -> str:
        """The URL after redirects, unless the job's URL changed since (then the new one)."""
        return str(self.state["url"]) if self.state.get("requested") == self.url else self.url

    def _next_segment(self, wid: int) -> Segment | None:
        segment = take_unowned(self.job.segments)
        if segment is None and self.ranges:
            floor = split_floor(
                self.size, self.connections, self.ctx.config.min_split
            )  # small files too
            segment = split_largest(self.job.segments, floor)
        if segment is not None:
            segment.owner = wid
        return segment

    def _on_write(self, wid: int, n: int) -> None:
        stream = self.streams.get(wid)
        if stream is not None:
            stream.wrote(n)
            self.ramp.wrote(wid, stream.last_write, n)
        self.ctx.progress(total_done(self.job.segments), self.size, self.active)

    async def _check_boundaries(self) -> None:
        """Compare the bytes around each boundary not yet checked with a fresh ranged request."""
        segments = sorted(self.job.segments, key=lambda s: s.start)
        for left, right in pairwise(segments):
            half = overlap_for(min(left.end - left.start, right.end - right.start)) // 2
            if right.start in self.checked or half <= 0:
                continue
            await self._check_around(right.start, half)

    async def _check_around(self, boundary: int, half: int) -> None:
        start, end = boundary - half, boundary + half
        attempts = 0
        while True:
            try:
                response = await open_response(
                    self.ctx.session,
                    self._fetch_url(),
                    self.headers,
                    start,
                    end,
                    self.ctx.config.stall_timeout,
                    self.ctx.auth,
                )
                try:
                    problem = range_problem(response.status, response.headers, start)
                    if problem:
                        raise RangesUnsupported(problem)
                    try:
                        body = await response.content.readexactly(end - start)
                    except Exception as exc:  # noqa: BLE001 - a reset or a short body: retried
                        raise FetchError(f"checking bytes around {boundary}: {exc}") from None
                finally:
                    response.close()
                same_as_disk(self.part, start, body)
                self.checked.add(boundary)
                return
            except FetchError as exc:
                attempts += 1
                if isinstance(exc, RangesUnsupported | ValidatorChanged):
                    raise
                if not exc.retriable or attempts > self.ctx.config.retries:
                    raise JobError(exc.code, exc.message) from None
                await asyncio.sleep(retry_wait(attempts, exc.retry_after))
