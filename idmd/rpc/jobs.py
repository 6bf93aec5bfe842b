"""``jobs.*``: one-to-one onto ``Engine`` methods.

The dispatcher binds the JSON to these annotations; the engine checks the
values against the declaration in idmd.protocol (options, params), once.
"""

from __future__ import annotations

import builtins  # ``list`` is also a method here
from pathlib import Path
from typing import Any

from idmd.protocol.checks import bad
from idmd.protocol.errors import LimitReached
from idmd.protocol.jobs import FINISHED
from idmd.protocol.models import ItemError, Job, JobPage
from idmd.rpc.namespace import Namespace
from idmd.rpc.scope import is_paired, writable_roots

MAX_JOBS = (
    10_000  # jobs held by the engine (unfinished and recent); beyond, jobs.add is refused -32011
)


class Jobs(Namespace):
    async def probe(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """What ``url`` is: kind, filename, size, resumable, formats, qualities, entries."""
        return await self._engine.probe(url, options)

    async def add(self, url: str, options: dict[str, Any] | None = None) -> Job:
        """Queue a download; returns the Job."""
        self._room_for(1)
        return await self._engine.add(url, options, self._roots())

    async def add_many(
        self, items: builtins.list[dict[str, Any]]
    ) -> builtins.list[Job | ItemError]:
        """Queue several downloads; each item gives a Job or ``{"error": {...}}``."""
        self._room_for(len(items) if isinstance(items, builtins.list) else 0)
        return await self._engine.add_many(items, self._roots())

    def _roots(self) -> builtins.list[Path] | None:
        """A paired client may only download into the download folder and allowed_dirs."""
        return writable_roots(self._ctx) if is_paired(self._peer) else None

    def _room_for(self, count: int) -> None:
        held = self._engine.held()
        if held + count > MAX_JOBS:
            raise LimitReached(
                f"{held} jobs are held, at most {MAX_JOBS}: remove some first (jobs.remove)",
                {"limit": MAX_JOBS},
            )

    async def get(self, id: str) -> Job:
        """The Job with its segments; finished jobs are found in the history too."""
        return await self._engine.fetch(id)

    async def list(
        self,
        status: builtins.list[str] | None = None,
        query: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        order: str = "-created_at",
    ) -> JobPage:
        """Jobs, newest first by default: ``{jobs, total, cursor}`` (cursor: the next page)."""
        return await self._engine.list(status, query, limit, cursor, order)

    async def pause(self, ids: builtins.list[str]) -> builtins.list[Job]:
        """Pause downloading or queued jobs (parts kept)."""
        return await self._engine.pause(ids)

    async def resume(self, ids: builtins.list[str]) -> builtins.list[Job]:
        """Queue paused jobs again."""
        return await self._engine.resume(ids)

    async def cancel(self, ids: builtins.list[str]) -> builtins.list[Job]:
        """Stop jobs for good (their parts are deleted)."""
        return await self._engine.cancel(ids)

    async def retry(self, ids: builtins.list[str]) -> builtins.list[Job]:
        """Queue failed or cancelled jobs again."""
        return await self._engine.retry(ids)

    async def remove(self, ids: builtins.list[str], delete_files: bool = False) -> bool:
        """Forget jobs (stopping them first); ``delete_files`` also deletes what they downloaded."""
        await self._engine.remove(ids, delete_files)
        return True

    async def update(self, id: str, patch: dict[str, Any]) -> Job:
        """Change priority, connections, speed_limit or filename of a job; ``url`` gives a paused
        or failed job a new link, accepted only when it serves the same file (bytes kept)."""
        if is_paired(self._peer) and isinstance(patch, dict) and "proxy" in patch:
            # Kept credentials would go through it: the owner's choice, as on jobs.add.
            raise bad("patch.proxy", "a paired client may not choose a proxy")
        return await self._engine.update(id, patch)

    async def _import(self, jobs: builtins.list[dict[str, Any]]) -> dict[str, int]:
        """Jobs from ``idm export`` (1 to 10000): finished ones become history, unfinished ones
        queued or paused; all or none. ``{imported, queued, paused, history, skipped}``."""
        if isinstance(jobs, builtins.list):
            self._room_for(
                sum(1 for j in jobs if not isinstance(j, dict) or j.get("status") not in FINISHED)
            )
        return await self._engine.import_jobs(jobs, self._roots())

    locals()["import"] = _import  # ``import`` is a Python keyword: the method is named by hand

    async def resolve_duplicate(self, id: str, action: str) -> Job:
        """Decide for a job waiting because its file exists: rename, overwrite or skip."""
        return await self._engine.resolve_duplicate(id, action)
