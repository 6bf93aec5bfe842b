from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from idmd.store import Store


def make_job(n: int, **fields: Any) -> dict[str, Any]:
    """A Job dict as the engine saves it; ``fields`` override."""
    job: dict[str, Any] = {
        "id": f"job{n:05d}",
        "url": f"https://files.example/dl/file-{n}.bin",
        "kind": "http",
        "status": "completed",
        "filename": f"file-{n}.bin",
        "path": f"/downloads/file-{n}.bin",
        "size": 1000 + n,
        "done": 1000 + n,
        "speed": 12345,
        "eta": 3,
        "connections": 8,
        "error": None,
        "created_at": f"2026-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
        "started_at": f"2026-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}.100Z",
        "finished_at": f"2026-01-02T00:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
        "options": {"connections": 8},
        "media": None,
    }
    job.update(fields)
    return job


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "idm.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(db_path)
    yield opened
    await opened.close()
