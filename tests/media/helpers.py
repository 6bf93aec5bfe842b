"""Small helpers for the media tests: what ffprobe says a file holds, which workers run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

# Found once, before a test takes ffmpeg off PATH.
FFPROBE = shutil.which("ffprobe") or "ffprobe"


def streams(path: Path) -> list[dict]:
    """ffprobe's streams of ``path``: codec_type, height, ..."""
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-show_streams", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    return list(json.loads(out).get("streams", []))


def video_height(path: Path) -> int | None:
    heights = [s.get("height") for s in streams(path) if s.get("codec_type") == "video"]
    return heights[0] if heights else None


def kinds(path: Path) -> set[str]:
    return {str(s.get("codec_type")) for s in streams(path)}


def worker_pids(parent: int | None = None) -> list[int]:
    """The media worker children of ``parent`` (this process by default), found through /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == (parent or os.getpid()) and b"idmd.engine.media_worker" in cmdline:
            pids.append(int(entry.name))
    return pids


def job_workers(engine: Any) -> list[int]:
    """The media workers busy for a job: every one but the warm spare waiting in the pool."""
    idle = engine.media.pool.idle
    return [pid for pid in worker_pids() if idle is None or pid != idle.pid]
