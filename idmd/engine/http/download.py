"""One file over up to N connections: first response, workers, checkpoints, finish.

The first GET (``Range: bytes=0-``) is both the probe and the first
connection's stream. Other connections take the far half of the largest
remaining segment; failed ones retry with back-off and give their segment
back. The part file is fdatasync'ed before every checkpoint, and the final
name appears only after the size and checksum were verified.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from idmd.core.backoff import retry_wait
from idmd.core.checksum import Checksum
from idmd.core.segments import (
    Segment,
    covers,
    merge_finished,
    split_largest,
    take_unowned,
    total_done,
)
from idmd.engine.http.checkpoint import Checkpointer
from idmd.engine.http.errors import FetchError, NotAFile, RangesUnsupported, ValidatorChanged
from idmd.engine.http.fetch import first_response, open_response, stream_into
from idmd.engine.http.partfile import PartFile, check_space, move_into_place, sync_and_verify
from idmd.engine.http.response import (
    ResponseInfo,
    changed_validators,
    looks_like_media,
    range_problem,
    read_headers,
)
from idmd.engine.limits import HostSlots
from idmd.engine.runner import JobContext, JobError

# Decides the target path from the first response; may raise NeedsDecision, Skipped, JobError.
Placer = Callable[[ResponseInfo], tuple[Path, bool]]  # (target, overwrite)
MAX_RESTARTS = 3


class HttpDownload:
    def __init__(
        self,
        ctx: JobContext,
        url: str,
        headers: Mapping[str, str],
        hosts: HostSlots,
        place: Placer,
        connections: int,
        checksum: Checksum | None = None,
        detect_media: bool = False,
    ) -> None:
        self.ctx = ctx
        self.job = ctx.job
        self.url = url
        self.headers = dict(headers)
        self.hosts = hosts
        self.host = urlsplit(url).hostname or ""
        self.place = place
        self.connections = max(1, connections)
        self.checksum = checksum
        self.detect_media = detect_media
        self.state: dict[str, Any] = self.job.state.setdefault("http", {})
        self.part: PartFile | None = None
        self.last_error: FetchError | None = None
        self.active = 0

    @property
    def size(self) -> int | None:
        size = self.state.get("size")
        return int(size) if size is not None else None

    @property
    def ranges(self) -> bool:
        return bool(self.state.get("ranges")) and self.size is not None

    async def run(self) -> Path:
        """Download to the final path and return it; raises JobError, NeedsDecision, Skipped."""
        for _ in range(MAX_RESTARTS + 1):
            try:
                if self._resumable():
                    return await self._resume()
                return await self._fresh()
            except ValidatorChanged as exc:
                self._close_part()
                self.ctx.log(f"{exc.message}: starting over", "warning")
                self._forget(keep_place=True)
            except RangesUnsupported as exc:
                self._close_part()
                self.ctx.log(f"{exc.message}: downloading in one stream", "warning")
                self.state["ranges"] = False
                self.state["single"] = True
                self.job.segments = []
            except JobError:
                self._close_part()
                if not self.ranges and self.state.get("part"):
                    # One stream cannot resume: its bytes only take space (maybe the space that ran out).
                    Path(self.state["part"]).unlink(missing_ok=True)
                    self._forget(keep_place=False)
                    self.ctx.checkpoint([])
                raise
            except BaseException:
                self._close_part()
                raise
        raise JobError("changed", "the file kept changing on the server")

    def _close_part(self) -> None:
        if self.part is not None:
            self.part.close()
            self.part = None

    def _resumable(self) -> bool:
        part = self.state.get("part")
        if not (part and self.state.get("target") and self.job.segments):
            return False
        try:
            length = Path(part).stat().st_size
        except OSError:
            return False
        if self.size is not None and length != self.size:
            # Preallocated at the full size before any checkpoint: anything else was tampered with.
            self.ctx.log(f"{Path(part).name} has {length} bytes instead of {self.size}: starting over", "warning")
            self._forget(keep_place=True)
            return False
        return True

    def _forget(self, keep_place: bool) -> None:
        kept: dict[str, Any] = {k: self.state[k] for k in ("target", "part", "overwrite") if keep_place and k in self.state}
        self.state.clear()
        self.state.update(kept)
        self.job.segments = []
        self.job.done = 0

    async def _fresh(self) -> Path:
        await self.hosts.acquire(self.host)
        response: aiohttp.ClientResponse | None = None
        try:
            single = bool(self.state.get("single"))
            response = await first_response(self.ctx, self.url, self.headers, None if single else 0)
            problem = range_problem(response.status, response.headers, 0)
            if problem:
                raise (JobError("ranges", problem) if single else RangesUnsupported(problem))
            info = read_headers(response.status, str(response.url), response.headers, 0)
            if self.detect_media and looks_like_media(info.content_type, info.final_url):
                response.close()
                raise NotAFile(info.content_type)
            if "target" in self.state and "part" in self.state:
                target, overwrite = Path(self.state["target"]), bool(self.state.get("overwrite"))
            else:
                target, overwrite = self.place(info)
            part_path = target.with_name(target.name + ".part")
            check_space(target.parent, info.size)
            self.part = PartFile.open(part_path, info.size, fresh=True)
        except BaseException:
            self.hosts.release(self.host)
            if response is not None:
                response.close()
            raise
        self.state.update(
            requested=self.url, url=info.final_url, etag=info.etag, last_modified=info.last_modified, size=info.size,
            ranges=info.ranges, target=str(target), part=str(part_path), overwrite=overwrite,
            content_type=info.content_type,
        )
        segment = Segment(0, info.size or 0, owner=0)
        self.job.segments = [segment]
        self.ctx.update(filename=target.name, path=str(target), size=info.size)
        self.ctx.checkpoint()
        return await self._transfer(first=(response, segment))

    async def _resume(self) -> Path:
        size = self.size
        if not self.ranges or size is None or not covers(self.job.segments, size):
            self.job.segments = [Segment(0, size or 0)]
        segments = merge_finished(self.job.segments)
        for segment in segments:
            segment.owner = None
        self.job.segments = segments
        self.job.refresh_done()
        check_space(Path(self.state["target"]).parent, (size or 0) - self.job.done)
        self.part = PartFile.open(Path(self.state["part"]), size, fresh=False)
        self.ctx.log(f"resuming at {self.job.done} of {size if size is not None else '?'} bytes", "info")
        await self.hosts.acquire(self.host)
        return await self._transfer(first=None)

    async def _transfer(self, first: tuple[aiohttp.ClientResponse, Segment] | None) -> Path:
        assert self.part is not None
        checkpoints = Checkpointer(self.ctx, self.part, self.job.segment_lists)
        checkpoints.start()
        try:
            while not all(s.finished for s in self.job.segments) or first is not None:
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
                        group.create_task(self._worker(wid, None, segment, holds_slot=True))
                stuck = not self.ranges or total_done(self.job.segments) == before
                if not all(s.finished for s in self.job.segments) and stuck:
                    error = self.last_error or FetchError("no progress")
                    raise JobError(error.code, error.message)
                if not all(s.finished for s in self.job.segments):
                    await self.hosts.acquire(self.host)  # another round for the segments given back
        except BaseExceptionGroup as group_error:
            raise group_error.exceptions[0] from None
        finally:
            await checkpoints.stop(complete=all(s.finished for s in self.job.segments))
        return await self._finish()

    async def _worker(
        self,
        wid: int,
        first: tuple[aiohttp.ClientResponse, Segment] | None,
        segment: Segment | None = None,
        holds_slot: bool = True,
    ) -> None:
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
                    assert self.part is not None
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
            if holds_slot:
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
            segment = split_largest(self.job.segments, self.ctx.config.min_split)
        if segment is not None:
            segment.owner = wid
        return segment

    def _on_write(self) -> None:
        self.ctx.progress(total_done(self.job.segments), self.size, self.active)

    async def _finish(self) -> Path:
        assert self.part is not None
        part_path = self.part.path
        size = self.size if self.size is not None else sum(s.end - s.start for s in self.job.segments)
        part = self.part
        try:
            await asyncio.to_thread(sync_and_verify, part, size, self.checksum)
        except JobError:
            part_path.unlink(missing_ok=True)
            self._forget(keep_place=False)
            self.ctx.checkpoint([])
            raise
        target = Path(self.state["target"])
        final = await asyncio.to_thread(move_into_place, part_path, target, bool(self.state.get("overwrite")))
        self.job.done = size
        self.ctx.update(path=str(final), filename=final.name, size=size)
        return final

