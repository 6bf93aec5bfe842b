"""The connections of one download: rounds of workers that each fetch segments.

A worker keeps taking work (an unowned segment, else the far half of the
largest remaining one) until none is left; a failing one retries with
back-off and finally gives its segment back. A round that gains nothing
fails the job with the last error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from idmd.core.backoff import retry_wait
from idmd.core.segments import Segment, split_floor, split_largest, take_unowned, total_done
from idmd.engine.http.errors import FetchError, RangesUnsupported, ValidatorChanged
from idmd.engine.http.fetch import open_response, stream_into
from idmd.engine.http.partfile import PartFile
from idmd.engine.http.response import KnownFile, changed_validators, range_problem, read_headers
from idmd.engine.limits import HostSlots
from idmd.engine.runner import JobContext, JobError


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

    def _all_done(self) -> bool:
        return all(s.finished for s in self.job.segments)

    async def run(self, first: tuple[aiohttp.ClientResponse, Segment] | None) -> None:
        """Fetch every segment; the caller holds one host slot for worker 0."""
        try:
            while not self._all_done() or first is not None:
                before = total_done(self.job.segments)
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._worker(0, first))
                    first = None
                    for wid in range(1, self.connections if self.ranges else 1):
                        if not self.hosts.try_acquire(self.host):
                            break
                        segment = self._next_segment(wid)
                        if segment is None:
                            self.hosts.release(self.host)
                            break
                        group.create_task(self._worker(wid, None, segment))
                stuck = not self.ranges or total_done(self.job.segments) == before
                if not self._all_done() and stuck:
                    error = self.last_error or FetchError("no progress")
                    raise JobError(error.code, error.message)
                if not self._all_done():
                    await self.hosts.acquire(self.host)  # another round for the segments given back
        except BaseExceptionGroup as group_error:
            raise group_error.exceptions[0] from None

    async def _worker(
        self,
        wid: int,
        first: tuple[aiohttp.ClientResponse, Segment] | None,
        segment: Segment | None = None,
    ) -> None:
        """One connection; it holds one host slot, released when it ends."""
        response = first[0] if first else None
        segment = first[1] if first else segment or self._next_segment(wid)
        attempts = 0
        self.active += 1
        try:
            while segment is not None:
                progress = segment.done
                try:
                    if response is None:
                        response = await self._open(segment)
                    await stream_into(
                        response, segment, self.part, self.ctx.limiter, self._on_write, until_eof=self.size is None
                    )
                except FetchError as exc:
                    if not exc.retriable:
                        raise
                    self.last_error = exc
                    # Bytes gained reset the count, except for one stream, which starts over anyway.
                    attempts = 1 if segment.done > progress and self.ranges else attempts + 1
                    if attempts > self.ctx.config.retries:
                        self.ctx.log(f"connection {wid} gave up: {exc.message}", "warning")
                        segment.owner = None
                        return
                    wait = retry_wait(attempts, exc.retry_after)
                    self.ctx.log(f"connection {wid}: {exc.message}; retry {attempts} in {wait:.1f} s", "info")
                    await asyncio.sleep(wait)
                    continue
                finally:
                    if response is not None:
                        response.close()
                        response = None
                segment.owner = None
                segment = self._next_segment(wid)
        finally:
            self.active -= 1
            self.hosts.release(self.host)

    async def _open(self, segment: Segment) -> aiohttp.ClientResponse:
        if not self.ranges:
            segment.done = 0  # one stream: every request starts again from the beginning
            if self.size is None:
                segment.end = 0
        start = segment.pos if self.ranges else None
        end = segment.end if self.ranges else None
        response = await open_response(
            self.ctx.session,
            self.state["url"] if self.state.get("requested") == self.url else self.url,
            self.headers,
            start,
            end,
            self.ctx.config.stall_timeout,
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
        return response

    def _next_segment(self, wid: int) -> Segment | None:
        segment = take_unowned(self.job.segments)
        if segment is None and self.ranges:
            floor = split_floor(self.size, self.connections, self.ctx.config.min_split)  # small files too
            segment = split_largest(self.job.segments, floor)
        if segment is not None:
            segment.owner = wid
        return segment

    def _on_write(self) -> None:
        self.ctx.progress(total_done(self.job.segments), self.size, self.active)
