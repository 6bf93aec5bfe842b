"""What the engine's actions do to a job's files and options.

Kept apart from ``Engine`` (which owns the state) and from ``JobRun`` (which
owns one run): these helpers change only the ``Job`` and the files handed to
them, so the engine's modules import this one and never the other way round.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from idmd.engine.jobs import Job
from idmd.engine.media import discard_partial as discard_media


def is_manifest_url(url: str) -> bool:
    return url.split("?", 1)[0].lower().endswith((".m3u8", ".mpd"))


def discard_partial(job: Job, default_dir: Path) -> bool:
    """Delete what a job downloaded so far and forget its progress (the caller checkpoints);
    whether it had bytes."""
    part = job.state.get("http", {}).get("part")
    if part:
        Path(part).unlink(missing_ok=True)
    if job.kind == "media":
        discard_media(job.download_dir or default_dir, job.id)
    folder = (job.state.get("category") or {}).get("folder")
    if folder and Path(folder) != (job.download_dir or default_dir):
        with contextlib.suppress(
            OSError
        ):  # an empty category folder goes too (rmdir: only when empty)
            os.rmdir(folder)
    job.state = {}
    job.segments = []
    had_bytes, job.done = job.done, 0
    return bool(had_bytes)


def rename_part(job: Job, name: str) -> None:
    """A paused download keeps its bytes under the new name."""
    state = job.state.get("http", {})
    if not state.get("target"):
        return
    target = Path(state["target"]).with_name(name)
    part = Path(state.get("part", ""))
    new_part = target.with_name(name + ".part")
    if part.exists() and not new_part.exists() and not target.exists():
        part.rename(new_part)
        state.update(target=str(target), part=str(new_part))
    else:
        state.pop("target", None)  # decided again at the next start


SKIPPED = "skipped: the file exists"


def mark_skipped(job: Job, path: Path) -> dict[str, str]:
    """A duplicate left alone: the job names the existing file (which it did not write, so
    ``jobs.remove {delete_files}`` keeps it) and says so, rather than reading as a completed
    download without a name. Returns the fields that changed, for ``job.updated``."""
    job.path, job.filename, job.note = str(path), path.name, SKIPPED
    job.state["skipped"] = True
    return {"path": job.path, "filename": job.filename, "note": job.note}
