"""The job list as a file (``idm export``) and back (``jobs.import``): its format and its checks.

Pure, so the daemon checks an import with the same rules ``idm import`` reads a
file with: a file that is not what it says is refused whole, before anything is
written. Version 1 is ``{"idm": "jobs", "version": 1, "exported_at", "jobs": [Entry]}``;
an entry holds the Job fields that mean something on another machine (``ENTRY``),
without the path, the live numbers and the resume data. A plain list of URLs (one
a line, ``#`` comments) is read too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from idmd.protocol import checks
from idmd.protocol.checks import bad
from idmd.protocol.jobs import Status
from idmd.protocol.models import Job, JobOptions
from idmd.protocol.options import check_options, public
from idmd.protocol.params import check_url

FORMAT = "jobs"
VERSION = 1
MAX_ENTRIES = 10_000  # one jobs.import call (a frame is at most 1 MiB): idm import sends several
MAX_FILE = 64 * 1024 * 1024  # what idm import reads at most
ENTRY = (
    "id",
    "url",
    "kind",
    "status",
    "filename",
    "size",
    "done",
    "error",
    "note",
    "created_at",
    "started_at",
    "finished_at",
    "options",
    "media",
    "playlist",
)
_ID = re.compile(r"^[0-9a-f]{12}$")
_MEDIA = ("title", "format", "quality", "thumbnail")


def entry(job: Job) -> dict[str, Any]:
    """What ``idm export`` writes of a Job."""
    fields: Mapping[str, Any] = job
    out = {key: fields[key] for key in ENTRY if fields.get(key) is not None}
    out["options"] = public(job.get("options") or {})
    return out


def document(jobs: Iterable[Job], exported_at: str) -> dict[str, Any]:
    return {
        "idm": FORMAT,
        "version": VERSION,
        "exported_at": exported_at,
        "jobs": [entry(job) for job in jobs],
    }


def read_file(text: str) -> list[dict[str, Any]]:
    """The entries of an export file or of a list of URLs; InvalidParams says what is wrong."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise bad("file", f"is not valid JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("idm") != FORMAT:
            raise bad("file", 'is not an idm export (no "idm": "jobs")')
        if data.get("version") != VERSION:
            raise bad(
                "file", f"has version {data.get('version')!r}; this idm reads version {VERSION}"
            )
        jobs = data.get("jobs")
        if not isinstance(jobs, list):
            raise bad("file.jobs", "must be a list")
        return jobs
    urls = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    return [{"url": url} for url in urls]


class Imported(dict[str, Any]):
    """One checked entry: the Job fields to store (``status`` decided, no path, no state)."""

    @property
    def finished(self) -> bool:
        return self["status"] in (Status.COMPLETED, Status.FAILED, Status.CANCELLED)


def check_entries(entries: Any, roots: Iterable[Path] | None = None) -> list[Imported]:
    """Every entry checked, or InvalidParams naming the first bad one (``jobs[3].url``).

    Unfinished jobs come back as ``queued`` (``paused`` stays paused) with no progress:
    their part files are on the other machine. Finished ones are history as they were."""
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_ENTRIES:
        raise bad("jobs", f"must list 1 to {MAX_ENTRIES} jobs")
    return [check_entry(item, f"jobs[{i}]", roots) for i, item in enumerate(entries)]


def check_entry(item: Any, path: str, roots: Iterable[Path] | None = None) -> Imported:
    """One entry, or InvalidParams naming ``path`` (the job's place in the file)."""
    if not isinstance(item, Mapping):
        raise bad(path, "must be an object with at least a url")
    status = checks.choice(
        item.get("status", "queued"), f"{path}.status", tuple(str(s) for s in Status)
    )
    if status in ("downloading", "waiting"):
        status = "queued"
    options: JobOptions = check_options(item.get("options"), f"{path}.options", roots)
    options.pop("start", None)  # how it was added; the status says how it comes back
    job = Imported(
        url=check_url(item.get("url"), f"{path}.url"),
        status=status,
        options=options,
        kind=checks.choice(item.get("kind", "http"), f"{path}.kind", ("http", "media")),
    )
    job_id = item.get("id")
    if job_id is not None:
        if not isinstance(job_id, str) or not _ID.match(job_id):
            raise bad(f"{path}.id", "must be 12 hexadecimal digits")
        job["id"] = job_id
    if item.get("filename"):
        job["filename"] = checks.filename(
            checks.one_line(item["filename"], f"{path}.filename", 1024), f"{path}.filename"
        )
    size = item.get("size")
    if size is not None:
        job["size"] = checks.integer(size, f"{path}.size", 0, 1 << 50)
    for key in ("created_at", "started_at", "finished_at"):
        if item.get(key) is not None:
            job[key] = _time(item[key], f"{path}.{key}")
    if job.finished:
        _history(item, path, job)
    return job


def _history(item: Mapping[str, Any], path: str, job: Imported) -> None:
    """What a finished job keeps: its error or note, progress, media."""
    error = item.get("error")
    if error is not None:
        if not isinstance(error, Mapping):
            raise bad(f"{path}.error", "must be {code, message} or null")
        job["error"] = {
            "code": checks.one_line(error.get("code"), f"{path}.error.code", 64),
            "message": checks.one_line(error.get("message"), f"{path}.error.message", 4096),
        }
    if item.get("note"):
        job["note"] = checks.one_line(item["note"], f"{path}.note", 1024)
    done = item.get("done")
    if done is not None:
        job["done"] = checks.integer(done, f"{path}.done", 0, 1 << 50)
    media = item.get("media")
    if isinstance(media, Mapping):
        job["media"] = {k: str(media[k])[:4096] for k in _MEDIA if isinstance(media.get(k), str)}


def _time(value: Any, path: str) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise bad(path, "must be an ISO 8601 time")
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise bad(path, f"is not an ISO 8601 time: {value!r}") from None
    return value
