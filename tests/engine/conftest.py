from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from idmd.config import Config
from idmd.engine import Engine
from idmd.engine.credentials import Credentials
from idmd.events import EventBus
from idmd.protocol.events import Event, EventType
from idmd.store import Store
from tests.engine.servers import Site

# Small numbers so that a 3 MiB file is split into many segments and faults resolve fast.
TEST_CONFIG = Config(stall_timeout=1.0, retries=3, min_split=64 * 1024, connections=4)


class Recorder:
    """Every event of the bus, and a way to wait for one."""

    def __init__(self, bus: EventBus, timeout: float = 30.0) -> None:
        self.events: list[Event] = []
        self.timeout = timeout  # the default wait
        self._changed = asyncio.Event()
        bus.listen(self._on_event)

    def _on_event(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, job: str, type: EventType | None = None) -> list[Event]:
        return [e for e in self.events if e.job == job and (type is None or e.type == type)]

    def logs(self, job: str) -> list[str]:
        return [e.data["message"] for e in self.of(job, EventType.JOB_LOG)]

    async def wait_for(self, predicate: Any, timeout: float | None = None) -> Event:
        async with asyncio.timeout(timeout or self.timeout):
            seen = 0
            while True:
                for event in self.events[seen:]:
                    if predicate(event):
                        return event
                seen = len(self.events)
                self._changed.clear()
                await self._changed.wait()

    async def status(self, job: str, *statuses: str, timeout: float | None = None) -> str:
        event = await self.wait_for(
            lambda e: (
                e.job == job and e.type == EventType.JOB_STATUS and e.data["status"] in statuses
            ),
            timeout,
        )
        return str(event.data["status"])


class Harness:
    def __init__(self, engine: Engine, recorder: Recorder, downloads: Path, store: Store) -> None:
        self.engine = engine
        self.events = recorder
        self.downloads = downloads
        self.store = store

    async def download(self, url: str, timeout: float = 30.0, **options: Any) -> dict[str, Any]:
        """Add ``url`` and wait until it completes or fails; the final Job dict."""
        job = await self.engine.add(url, options)
        await self.events.status(job["id"], "completed", "failed", "waiting", timeout=timeout)
        return self.engine.get(job["id"])


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    s = Site()
    yield s
    await s.close()


async def make_harness(
    tmp_path: Path,
    *,
    credentials: Credentials | None = None,
    clock: Callable[[], float] = time.time,
    **config: Any,
) -> Harness:
    store = await Store.open(tmp_path / "idm.db")
    bus = EventBus()
    recorder = Recorder(bus)
    downloads = tmp_path / "downloads"
    engine = Engine(replace(TEST_CONFIG, **config), downloads, store, bus, credentials, clock)
    await engine.start()
    return Harness(engine, recorder, downloads, store)


async def close_harness(harness: Harness) -> None:
    await harness.engine.stop()
    await harness.store.close()


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = await make_harness(tmp_path)
    yield h
    await close_harness(h)
