"""``jobs.*``: one-to-one onto ``Engine`` methods, after checking the parameters."""

from __future__ import annotations

import builtins  # ``list`` is also a method here
from typing import Any, Literal

from idmd.protocol.errors import LimitReached, RpcError
from idmd.protocol.jobs import Status
from idmd.rpc.namespace import Namespace
from idmd.rpc.params import bad, check_ids, check_options, check_patch, check_url
from idmd.rpc.scope import check_options_dir

ORDERS = ("created_at", "-created_at", "finished_at", "-finished_at", "filename", "-filename", "size", "-size")
MAX_BATCH = 1000
MAX_JOBS = 10_000  # jobs held by the engine (unfinished and recent); beyond, jobs.add is refused -32011


class Jobs(Namespace):
    async def probe(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """What ``url`` is: kind, filename, size, resumable, formats, qualities, entries."""
        return await self._engine.probe(check_url(url), check_options(options))

    async def add(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """Queue a download; returns the Job."""
        checked = check_options(options)
        check_options_dir(self._peer, self._ctx, checked)
        self._room_for(1)
        return await self._engine.add(check_url(url), checked)

    async def add_many(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Queue several downloads; each item gives a Job or ``{"error": {...}}``."""
        if not items or len(items) > MAX_BATCH:
            raise bad("items", f"must list 1 to {MAX_BATCH} {{url, options}} objects")
        checked: list[dict[str, Any] | None] = []
        errors: dict[int, dict[str, Any]] = {}
        for index, item in enumerate(items):
            try:
                unknown = set(item) - {"url", "options"}
                if unknown:
                    raise bad(f"items[{index}].{min(unknown)}", "unknown key (url, options)")
                url = item.get("url")
                if not isinstance(url, str):
                    raise bad(f"items[{index}].url", "must be a string")
                options = item.get("options")
                if options is not None and not isinstance(options, dict):
                    raise bad(f"items[{index}].options", "must be an object")
                clean = check_options(options, f"items[{index}].options")
                check_options_dir(self._peer, self._ctx, clean, f"items[{index}].options")
                checked.append({"url": check_url(url, f"items[{index}].url"), "options": clean})
            except RpcError as exc:
                errors[index] = {"error": exc.to_dict()}
                checked.append(None)
        good = [c for c in checked if c is not None]
        self._room_for(len(good))
        added = iter(await self._engine.add_many(good) if good else [])
        return [errors[i] if c is None else next(added) for i, c in enumerate(checked)]

    def _room_for(self, count: int) -> None:
        held = len(self._engine.jobs)
        if held + count > MAX_JOBS:
            raise LimitReached(f"{held} jobs are held, at most {MAX_JOBS}: remove some first (jobs.remove)",
                               {"limit": MAX_JOBS})

    async def get(self, id: str) -> dict[str, Any]:
        """The Job with its segments; finished jobs are found in the history too."""
        return await self._engine.fetch(id)

    async def list(
        self,
        status: list[str] | None = None,
        query: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        order: str = "-created_at",
    ) -> dict[str, Any]:
        """Jobs, newest first by default: ``{jobs, total, cursor}`` (cursor: the next page)."""
        known = {str(s) for s in Status}
        for value in status or []:
            if value not in known:
                raise bad("status", "must list statuses among " + ", ".join(sorted(known)))
        if not 1 <= limit <= 1000:
            raise bad("limit", "must be 1..1000")
        if order not in ORDERS:
            raise bad("order", "must be one of " + ", ".join(ORDERS))
        if query is not None and len(query) > 1000:
            raise bad("query", "must be at most 1000 characters")
        return await self._engine.list(status, query, limit, cursor, order)

    async def pause(self, ids: builtins.list[str]) -> builtins.list[dict[str, Any]]:
        """Pause downloading or queued jobs (parts kept)."""
        return await self._engine.pause(check_ids(ids))

    async def resume(self, ids: builtins.list[str]) -> builtins.list[dict[str, Any]]:
        """Queue paused jobs again."""
        return await self._engine.resume(check_ids(ids))

    async def cancel(self, ids: builtins.list[str]) -> builtins.list[dict[str, Any]]:
        """Stop jobs for good (their parts are deleted)."""
        return await self._engine.cancel(check_ids(ids))

    async def retry(self, ids: builtins.list[str]) -> builtins.list[dict[str, Any]]:
        """Queue failed or cancelled jobs again."""
        return await self._engine.retry(check_ids(ids))

    async def remove(self, ids: builtins.list[str], delete_files: bool = False) -> bool:
        """Forget jobs (stopping them first); ``delete_files`` also deletes what they downloaded."""
        await self._engine.remove(check_ids(ids), delete_files)
        return True

    async def update(self, id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Change priority, connections, speed_limit or filename of a job."""
        return await self._engine.update(id, check_patch(patch))

    async def resolve_duplicate(self, id: str, action: Literal["rename", "overwrite", "skip"]) -> dict[str, Any]:
        """Decide for a job waiting because its file exists."""
        return await self._engine.resolve_duplicate(id, action)


