"""One file from first response to final name: fresh start, resume, restarts, finish.

The first GET (``Range: bytes=0-``) is both the probe and the first
connection's stream (``connections.py`` adds the others). A changed file
starts over, lying ranges fall back to one stream, and the final name
appears only after the bytes were synced and the size and checksum verified.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from idmd.core.checksum import Checksum
from idmd.core.segments import Segment, covers, merge_finished, splittable
from idmd.engine.http.checkpoint import Checkpointer
from idmd.engine.http.connections import Connections
from idmd.engine.http.errors import FetchError, NotAFile, RangesUnsupported, ValidatorChanged
from idmd.engine.http.fetch import first_response, stream_into
from idmd.engine.http.partfile import (
    PartFile,
    check_space,
    io_error,
    move_into_place,
    sync_and_verify,
)
from idmd.engine.http.response import (
    KnownFile,
    ResponseInfo,
    looks_like_media,
    range_problem,
    read_headers,
)
from idmd.engine.limits import HostSlots
from idmd.engine.runner import JobContext, JobError

# Decides the target path from the first response; may raise NeedsDecision, Skipped, JobError.
Placer = Callable[[ResponseInfo], tuple[Path, bool]]  # (target, overwrite)
MAX_RESTARTS = 3


class HttpDownload(KnownFile):
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
                    # One stream cannot resume: its bytes only
                    # take space (maybe the space that ran out).
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
            self.ctx.log(
                f"{Path(part).name} has {length} bytes instead of {self.size}: starting over",
                "warning",
            )
            self._forget(keep_place=True)
            return False
        return True

    def _forget(self, keep_place: bool) -> None:
        kept: dict[str, Any] = {
            k: self.state[k]
            for k in ("target", "part", "overwrite")
            if keep_place and k in self.state
        }
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
            self.part = PartFile.open(part_path, info.size, fresh=True, owner=self.job.id)
        except BaseException:
            self.hosts.release(self.host)
            if response is not None:
                response.close()
            raise
        self.state.update(
            requested=self.url,
            url=info.final_url,
            etag=info.etag,
            last_modified=info.last_modified,
            size=info.size,
            ranges=info.ranges,
            target=str(target),
            part=str(part_path),
            overwrite=overwrite,
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
        # One stream starts again from byte 0: its old bytes are dropped, not trusted.
        self.part = PartFile.open(Path(self.state["part"]), size, fresh=not self.ranges)
        self.ctx.log(
            f"resuming at {self.job.done} of {size if size is not None else '?'} bytes", "info"
        )
        await self.hosts.acquire(self.host)
        return await self._transfer(first=None)

    async def _transfer(self, first: tuple[aiohttp.ClientResponse, Segment] | None) -> Path:
        assert self.part is not None
        checkpoints = Checkpointer(self.ctx, self.part, self.job.segment_lists)
        try:
            small = self.size is not None and not splittable(
                self.size, self.connections, self.ctx.config.min_split
            )
            if first is not None and small:
                checkpoints.start(lazily=True)  # only a slow one lives to its first tick
                await self._one_stream(self.part, *first)
                first = None
            if first is not None or not all(s.finished for s in self.job.segments):
                checkpoints.start()
                await Connections(
                    self.ctx, self.part, self.url, self.headers, self.hosts, self.connections
                ).run(first)
        finally:
            await checkpoints.stop(complete=all(s.finished for s in self.job.segments))
        return await self._finish()

    async def _one_stream(
        self, part: PartFile, response: aiohttp.ClientResponse, segment: Segment
    ) -> None:
        """A file too small to split, copied from its first response in this task: the
        connection workers would cost more than its bytes (many small files are CPU-bound),
        and the checkpoint ticks start only if it lasts until the first is due. A failure a
        retry may help is left to the workers, which go on from where this stopped with the
        host slot this held; otherwise the slot is given back here."""
        workers_go_on = False
        try:
            await stream_into(
                response,
                segment,
                part,
                self.ctx.limiter,
                lambda _: self.ctx.progress(segment.done, self.size),
                start=0,
            )
        except FetchError as exc:
            if not exc.retriable:
                raise JobError(exc.code, exc.message) from None
            self.ctx.log(f"{exc.message}; trying again", "info")
            workers_go_on = True
        finally:
            response.close()
            segment.owner = None
            if not workers_go_on:
                self.hosts.release(self.host)

    async def _finish(self) -> Path:
        assert self.part is not None
        part_path = self.part.path
        size = (
            self.size if self.size is not None else sum(s.end - s.start for s in self.job.segments)
        )
        part = self.part
        if self.size is None:
            part.truncate(size)  # a stream that started over may have been longer the first time
        self.ctx.transferred()  # the sync below holds no download slot
        await self.ctx.fence()  # in a fleet: still this node's job, or the part is another's
        target = Path(self.state["target"])
        overwrite = bool(self.state.get("overwrite"))

        def settle() -> Path | JobError:
            """In one trip to a thread: sync and check (raises: the bytes are bad), then the
            final name (a failure is returned: the bytes are good and stay)."""
            sync_and_verify(part, size, self.checksum)
            try:
                return move_into_place(part_path, target, overwrite)
            except OSError as exc:
                return io_error(exc, f"renaming {part_path.name} to {target.name}")

        try:
            final = await asyncio.to_thread(settle)
        except JobError:
            part_path.unlink(missing_ok=True)
            self._forget(keep_place=False)
            self.ctx.checkpoint([])
            raise
        if isinstance(final, JobError):
            raise final
        self.job.done = size
        self.ctx.update(path=str(final), filename=final.name, size=size)
        return final
