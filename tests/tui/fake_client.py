"""A stand-in for ``idmd.client.Client`` with fixed data, for the snapshot tests only.

Same interface as the real client (``call``, ``subscribe``, ``status``,
``add_state_listener``, ``close``); everything it says is deterministic so
the SVG baselines never change by themselves. Every other TUI test talks to a
real daemon.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from idmd.client import ConnectionStatus, State
from idmd.protocol.errors import UrlNotSupported

MiB = 1024 * 1024


def make_job(n: int, status: str, size: int | None, done: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"job{n:03d}",
        "url": f"http://files.example/{n}/file-{n:03d}.iso",
        "kind": "http",
        "status": status,
        "filename": extra.pop("filename", f"file-{n:03d}.iso"),
        "path": f"/home/user/Downloads/file-{n:03d}.iso",
        "size": size,
        "done": done,
        "speed": extra.pop("speed", 0),
        "eta": extra.pop("eta", None),
        "connections": extra.pop("connections", 0),
        "segments": extra.pop("segments", []),
        "error": extra.pop("error", None),
        "created_at": f"2026-11-30T05:{n:02d}:00+00:00",
        "started_at": f"2026-11-30T05:{n:02d}:01+00:00" if status != "queued" else None,
        "finished_at": f"2026-11-30T05:{n:02d}:59+00:00"
        if status in ("completed", "failed")
        else None,
        "options": {"connections": 8},
        "media": None,
        **extra,
    }


SEGMENTS = [
    [0, 16 * MiB, 16 * MiB],
    [16 * MiB, 32 * MiB, 9 * MiB],
    [32 * MiB, 48 * MiB, 12 * MiB],
    [48 * MiB, 64 * MiB, 3 * MiB],
]

JOBS = [
    make_job(1, "completed", 700 * MiB, 700 * MiB, filename="debian-13.iso"),
    make_job(
        2, "failed", 20 * MiB, 5 * MiB, error={"code": "http_404", "message": "HTTP 404 Not Found"}
    ),
    make_job(
        3,
        "downloading",
        64 * MiB,
        40 * MiB,
        speed=3 * MiB,
        eta=8,
        connections=4,
        segments=SEGMENTS,
        filename="video-1080p.mp4",
    ),
    make_job(4, "paused", 100 * MiB, 25 * MiB, filename="archive.tar.zst"),
    make_job(5, "queued", None, 0, filename="unknown-size.bin"),
]

PROBE = {
    "kind": "media",
    "filename": "A talk.mp4",
    "size": None,
    "resumable": True,
    "media": {"title": "A talk"},
    "qualities": ["1080p", "720p", "480p", "audio"],
    "formats": [],
    "entries": [],
}


class FakeClient:
    """Answers from fixed data; ``events`` are yielded after the snapshot."""

    def __init__(
        self, jobs: list[dict[str, Any]] | None = None, events: list[dict[str, Any]] | None = None
    ) -> None:
        self.jobs = [dict(job) for job in (jobs if jobs is not None else JOBS)]
        self.events = events or []
        self.status = ConnectionStatus(State.CONNECTED)
        self.calls: list[tuple[str, Any]] = []
        self._closed = asyncio.Event()

    async def call(self, method: str, params: Any = None) -> Any:
        self.calls.append((method, params))
        if method == "jobs.probe":
            if "bad" in params["url"]:
                raise UrlNotSupported("no video found at this address")
            return PROBE
        if method == "jobs.get":
            return next(job for job in self.jobs if job["id"] == params["id"])
        if method == "jobs.list":
            return {"jobs": [], "total": 0, "cursor": None}
        if method == "config.get":
            return {"speed_limit": 0}
        return {}

    async def subscribe(self, since: int | None = None) -> AsyncIterator[dict[str, Any]]:
        yield {
            "type": "snapshot",
            "seq": 100,
            "reset": False,
            "snapshot": {"jobs": self.jobs, "stats": {"active": 1, "queued": 1, "speed": 3 * MiB}},
        }
        for event in self.events:
            yield event
        await self._closed.wait()

    def add_state_listener(
        self, callback: Callable[[ConnectionStatus], None]
    ) -> Callable[[], None]:
        return lambda: None

    async def close(self) -> None:
        self._closed.set()


def speed_events(job_id: str = "job003") -> list[dict[str, Any]]:
    """A minute of speeds and a few log lines for the details view, at fixed times."""
    events: list[dict[str, Any]] = []
    seq = 100
    for second in range(60):
        seq += 1
        speed = (1 + (second % 10)) * 300 * 1024
        events.append(
            {
                "seq": seq,
                "type": "job.progress",
                "job": job_id,
                "at": 1_800_000_000.0 + second,
                "data": {"speed": speed},
            }
        )
    for message in ("probe: 64 MiB, ranges supported", "4 connections", "segment 0 complete"):
        seq += 1
        events.append(
            {
                "seq": seq,
                "type": "job.log",
                "job": job_id,
                "at": 1_800_000_060.0,
                "data": {"level": "info", "message": message},
            }
        )
    seq += 1
    events.append(
        {
            "seq": seq,
            "type": "job.progress",
            "job": job_id,
            "at": 1_800_000_059.5,
            "data": {"speed": 3 * MiB, "segments": SEGMENTS},
        }
    )
    return events
