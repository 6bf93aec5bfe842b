"""A toy engine and an in-process daemon app, to test the protocol alone (the
way mopidy's tests mount a toy object): same interface as ``idmd.engine.Engine``
(it checks its input with the same declaration, idmd.protocol), no
downloading, events emitted on demand."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from idmd.config import Config
from idmd.context import DAEMON, DaemonContext
from idmd.events import EventBus
from idmd.paths import resolve_paths
from idmd.protocol.errors import NoSuchJob, NotAllowed
from idmd.protocol.events import EventType
from idmd.protocol.options import check_options, check_patch
from idmd.protocol.params import (
    Item,
    check_action,
    check_ids,
    check_items,
    check_listing,
    check_url,
)
from idmd.rpc.server import RPC, setup_rpc


class ToyEngine:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.jobs: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, Any]] = []
        self._ids = itertools.count(1)

    def apply_config(self, config: Config) -> None:
        self.calls.append(("apply_config", config))

    async def probe(self, url: str, options: dict | None = None) -> dict:
        url, options = check_url(url), check_options(options)
        return {
            "kind": "file",
            "filename": url.rsplit("/", 1)[-1],
            "size": 10,
            "resumable": True,
            "formats": [],
            "qualities": [],
            "entries": [],
        }

    async def add(self, url: str, options: dict | None = None, roots: Any = None) -> dict:
        url, options = check_url(url), dict(check_options(options, roots=roots))
        job_id = f"j{next(self._ids)}"
        job = {
            "id": job_id,
            "url": url,
            "kind": "http",
            "status": "queued",
            "filename": url.rsplit("/", 1)[-1],
            "path": None,
            "size": None,
            "done": 0,
            "speed": 0,
            "eta": None,
            "connections": options.get("connections", 8),
            "segments": [],
            "error": None,
            "created_at": "2026-01-01T00:00:00Z",
            "started_at": None,
            "finished_at": None,
            "options": options,
            "media": None,
        }
        self.jobs[job_id] = job
        self.bus.emit(EventType.JOB_ADDED, job_id, dict(job))
        return dict(job)

    async def add_many(self, items: list[dict], roots: Any = None) -> list[dict]:
        return [
            await self.add(i.url, dict(i.options))
            if isinstance(i, Item)
            else {"error": i.to_dict()}
            for i in check_items(items, roots)
        ]

    def held(self) -> int:
        return len(self.jobs)

    def get(self, job_id: str) -> dict:
        if job_id not in self.jobs:
            raise NoSuchJob(f"no job {job_id!r}", {"id": job_id})
        return dict(self.jobs[job_id])

    async def fetch(self, job_id: str) -> dict:
        return self.get(job_id)

    async def list(
        self,
        status: list[str] | None = None,
        query: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        order: str = "-created_at",
    ) -> dict:
        check_listing(status, query, limit, cursor, order)
        jobs = [j for j in self.jobs.values() if not status or j["status"] in status]
        return {"jobs": jobs[:limit], "total": len(jobs), "cursor": None}

    def _set(self, ids: list[str], status: str) -> list[dict]:
        out = []
        for job_id in check_ids(ids):
            job = self.jobs.get(job_id)
            if job is None:
                raise NoSuchJob(f"no job {job_id!r}", {"id": job_id})
            job["status"] = status
            self.bus.emit(EventType.JOB_STATUS, job_id, {"status": status, "error": None})
            out.append(dict(job))
        return out

    async def pause(self, ids: list[str]) -> list[dict]:
        return self._set(ids, "paused")

    async def resume(self, ids: list[str]) -> list[dict]:
        return self._set(ids, "queued")

    async def cancel(self, ids: list[str]) -> list[dict]:
        return self._set(ids, "cancelled")

    async def retry(self, ids: list[str]) -> list[dict]:
        return self._set(ids, "queued")

    async def remove(self, ids: list[str], delete_files: bool = False) -> None:
        for job_id in check_ids(ids):
            if self.jobs.pop(job_id, None) is None:
                raise NoSuchJob(f"no job {job_id!r}")
            self.bus.emit(EventType.JOB_REMOVED, job_id, {"delete_files": delete_files})

    async def update(self, job_id: str, patch: dict) -> dict:
        job = self.get(job_id)
        patch = dict(check_patch(patch))
        self.jobs[job_id].update(patch)
        self.bus.emit(EventType.JOB_UPDATED, job_id, patch)
        return {**job, **patch}

    async def resolve_duplicate(self, job_id: str, action: str) -> dict:
        check_action(action)
        job = self.get(job_id)
        if job["status"] != "waiting":
            raise NotAllowed("the job is not waiting for a duplicate decision")
        return job

    def snapshot(self) -> list[dict]:
        return [dict(j) for j in self.jobs.values()]

    def stats(self) -> dict:
        return {
            "active": 0,
            "queued": len(self.jobs),
            "speed": 0,
            "totals": {"jobs": len(self.jobs)},
        }

    def progress(self, job_id: str, done: int, segments: list[list[int]] | None = None) -> None:
        data: dict[str, Any] = {"done": done, "size": 100, "speed": 1, "eta": 1, "connections": 1}
        if segments is not None:
            data["segments"] = segments
        self.bus.emit(EventType.JOB_PROGRESS, job_id, data)


@dataclass
class ToyDaemon:
    server: TestServer
    ctx: DaemonContext
    engine: ToyEngine
    app: web.Application

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.port}/rpc"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def token(self) -> str:
        return self.ctx.token

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def listeners(self) -> int:
        return self.ctx.bus.listener_count

    def peers(self) -> int:
        return len(self.app[RPC].peers)


async def start_toy_daemon(
    home: Path, queue_limit: int = 1024, config: Config | None = None
) -> ToyDaemon:
    paths = resolve_paths({"IDM_HOME": str(home)})
    paths.ensure()
    ctx = DaemonContext(config or Config(), paths, secrets.token_hex(32), EventBus())
    engine = ToyEngine(ctx.bus)
    ctx.engine = engine  # type: ignore[assignment]  # the toy has the Engine's interface
    app = web.Application()
    app[DAEMON] = ctx
    setup_rpc(app, queue_limit=queue_limit, wrong_token_delay=0.05)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    ctx.port = server.port
    return ToyDaemon(server, ctx, engine, app)
