"""Small helpers for the media tests: what ffprobe says a file holds."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

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
