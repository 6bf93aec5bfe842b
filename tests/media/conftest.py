from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from idmd.config import Config
from idmd.engine import Engine
from idmd.events import EventBus
from idmd.protocol.events import EventType
from idmd.store import Store
from tests.engine.conftest import Recorder
from tests.media.media_server import MediaServer, make_media


@pytest.fixture(scope="session")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        pytest.skip("ffmpeg/ffprobe are not installed (CI installs them): no test media")
    root = tmp_path_factory.mktemp("media")
    make_media(root)
    return root


@pytest.fixture(scope="session")
def media_server(media_root: Path) -> Iterator[MediaServer]:
    server = MediaServer(media_root).start()
    yield server
    server.stop()


@pytest.fixture
def server(media_server: MediaServer) -> Iterator[MediaServer]:
    """The session's server with the gate shut and the request log empty."""
    media_server.set_gate(False)
    media_server.requests.clear()
    yield media_server
    media_server.set_gate(True)  # let any held response finish


class Jobs(Recorder):
    """An in-process Engine with a real Store in tmp, and its events to wait on."""

    def __init__(self, engine: Engine, bus: EventBus, downloads: Path, store: Store) -> None:
        super().__init__(bus, timeout=60.0)
        self.engine = engine
        self.downloads = downloads
        self.store = store

    async def status(  # type: ignore[override]
        self, job: str, *statuses: str, timeout: float | None = None
    ) -> dict[str, Any]:
        """Waits for the job to reach one of ``statuses``; the Job then."""
        await super().status(job, *statuses, timeout=timeout)
        return self.engine.get(job)

    async def progress(self, job: str, at_least: int = 1) -> None:
        await self.wait_for(
            lambda e: (
                e.job == job and e.type == EventType.JOB_PROGRESS and e.data["done"] >= at_least
            )
        )

    async def download(self, url: str, **options: Any) -> dict[str, Any]:
        job = await self.engine.add(url, options)
        return await self.status(job["id"], "completed", "failed", "waiting")

    async def close(self) -> None:
        await self.engine.stop()
        await self.store.close()

    def leftovers(self) -> list[str]:
        """Everything in the download dir, hidden folders and parts included."""
        return sorted(str(p.relative_to(self.downloads)) for p in self.downloads.rglob("*"))


async def open_jobs(tmp_path: Path, **config: Any) -> Jobs:
    store = await Store.open(tmp_path / "idm.db")
    bus = EventBus()
    settings = {"stall_timeout": 20.0, "retries": 1, "connections": 4, **config}
    engine = Engine(Config(**settings), tmp_path / "downloads", store, bus)
    harness = Jobs(engine, bus, tmp_path / "downloads", store)
    await engine.start()
    return harness


@pytest.fixture
async def jobs(tmp_path: Path) -> AsyncIterator[Jobs]:
    harness = await open_jobs(tmp_path)
    yield harness
    await harness.close()
