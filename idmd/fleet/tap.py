"""The engine's store, seen through a tap that also hands each checkpoint to the fleet.

A checkpoint is taken only once its bytes are durably on disk (the HTTP
engine syncs the part file first), so the fleet's record never promises a
taker more than the shared folder holds. Everything else goes straight to
the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Checkpoint = Callable[[str, int, list[list[int]], dict[str, Any]], None]


class CheckpointTap:
    def __init__(self, store: Any, on_checkpoint: Checkpoint) -> None:
        self._store = store
        self._on_checkpoint = on_checkpoint

    def checkpoint(
        self, job_id: str, done: int, segments: list[list[int]], state: dict[str, Any]
    ) -> None:
        self._store.checkpoint(job_id, done, segments, state)
        self._on_checkpoint(job_id, done, segments, state)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)
