"""Pure text formatting for ``idm``: progress lines, tables, details, events.

Sizes, speeds, times left and percentages come from ``idmd.core.human``, so
they read as in ``idm-tui``. No I/O here, so the output is tested without a
daemon or a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from idmd.core.human import (
    UNKNOWN,
    fraction,
    human_eta,
    human_percent,
    human_size,
    human_speed,
    local_time,
)
from idmd.protocol.models import Job


def bar(done: int | None, total: int | None, width: int = 20) -> str:
    """``[#####.....]``: plain ASCII, so it survives any terminal, log or pipe."""
    share = fraction(done, total)
    if share is None:
        return "[" + "?" * width + "]"
    filled = int(width * share)
    return "[" + "#" * filled + "." * (width - filled) + "]"


def progress_line(job: Job, width: int = 80) -> str:
    """One line for a job: name, bar, percent, bytes, speed, ETA, status."""
    done, total = job.get("done"), job.get("size")
    tail = (
        f" {bar(done, total)} {human_percent(done, total, job.get('status', '')):>6}"
        f" {human_size(done)}/{human_size(total)}"
        f" {human_speed(job.get('speed'))} ETA {human_eta(job.get('eta')):>7}"
        f" {job.get('status', ''):<11}"
    )
    name = str(job.get("filename") or job.get("url") or job.get("id"))
    room = max(8, width - len(tail))
    if len(name) > room:
        name = name[: room - 1] + "…"
    return f"{name:<{room}}{tail}"


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """Columns padded to the widest cell; the last column is not padded."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in (headers, *rows):
        cells = [cell.ljust(widths[i]) if i < len(row) - 1 else cell for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def job_row(job: Job) -> list[str]:
    """``idm ls``: ID, STATUS, DONE, SIZE, SPEED, ETA, NAME, then ERROR (see ``job_table``)."""
    done, total, status = job.get("done"), job.get("size"), str(job.get("status", ""))
    progress = human_percent(done, total, status) if total or not done else human_size(done)
    running = status == "downloading"
    if job.get("note", "").startswith("skipped"):  # a duplicate left alone is no download
        status, progress = "skipped", UNKNOWN
    error = job.get("error")
    return [
        str(job.get("id", "")),
        status,
        progress,
        human_size(total),
        human_speed(job.get("speed")) if running else UNKNOWN,
        human_eta(job.get("eta")) if running else UNKNOWN,
        str(job.get("filename") or job.get("url") or ""),
        str(error.get("message") or "") + retry_note(job) if isinstance(error, Mapping) else "",
    ]


def retry_note(job: Job) -> str:
    """`` (retry 2 at 2026-12-03 10:32:05 CET)``: when a failed job comes back on its own."""
    when = job.get("retry_at")
    if not when:
        return ""
    return f" (retry {int(job.get('auto_retries') or 0) + 1} at {local_time(when)})"


JOB_HEADERS = ("ID", "STATUS", "DONE", "SIZE", "SPEED", "ETA", "NAME", "ERROR")


def job_table(jobs: Sequence[Job]) -> str:
    """The ``idm ls`` table; the ERROR column only when a job has an error, the CATEGORY
    column (before NAME) only when a job has a category."""
    rows = [job_row(job) for job in jobs]
    headers = list(JOB_HEADERS)
    if any(job.get("category") for job in jobs):
        name = headers.index("NAME")
        headers.insert(name, "CATEGORY")
        for row, job in zip(rows, jobs, strict=True):
            row.insert(name, str(job.get("category") or UNKNOWN))
    if any(row[-1] for row in rows):
        return table(rows, headers)
    return table([row[:-1] for row in rows], headers[:-1])


def job_details(job: Job) -> str:
    """``idm info``: every field on its own line; segments summarised."""
    lines = []
    fields: Mapping[str, Any] = job  # walked by name below
    for key in (
        "id",
        "url",
        "kind",
        "status",
        "filename",
        "path",
        "size",
        "done",
        "speed",
        "eta",
        "connections",
        "created_at",
        "started_at",
        "finished_at",
    ):
        value = fields.get(key)
        if key in ("size", "done") and value is not None:
            value = f"{value} ({human_size(value)})"
        elif key == "speed":
            value = human_speed(value)
        elif key == "eta":
            value = human_eta(value)
        elif key.endswith("_at") and value is not None:
            value = local_time(value)
        lines.append(f"{key + ':':<13}{UNKNOWN if value is None else value}")
    error = job.get("error")
    if error:
        lines.append(f"{'error:':<13}{error.get('message')} ({error.get('code')})")
    if job.get("note"):
        lines.append(f"{'note:':<13}{job.get('note')}")
    if job.get("category"):
        lines.append(f"{'category:':<13}{job.get('category')}")
    if job.get("retry_at"):
        lines.append(
            f"{'retry_at:':<13}{local_time(job.get('retry_at'))} (automatic retry "
            f"{int(job.get('auto_retries') or 0) + 1})"
        )
    media = job.get("media")
    if media:
        lines.append(
            f"{'media:':<13}{media.get('title')} "
            f"[{media.get('quality') or media.get('format') or ''}]"
        )
    segments = job.get("segments") or []
    if segments:
        complete = sum(1 for s in segments if s[0] + s[2] >= s[1])
        lines.append(f"{'segments:':<13}{len(segments)} ({complete} complete)")
    options = job.get("options") or {}
    if options:
        shown = ", ".join(f"{k}={v}" for k, v in options.items() if k not in ("headers", "cookies"))
        lines.append(f"{'options:':<13}{shown}")
    return "\n".join(lines)


def event_line(event: dict[str, Any]) -> str:
    """``idm watch``: one readable line per event."""
    data = event.get("data") or {}
    kind = event.get("type")
    job = event.get("job") or "-"
    if kind == "job.progress":
        detail = (
            f"{human_size(data.get('done'))}/{human_size(data.get('size'))}"
            f" {human_speed(data.get('speed'))}"
            f" ETA {human_eta(data.get('eta'))}"
        )
    elif kind == "job.status":
        error = data.get("error")
        detail = str(data.get("status")) + (
            f": {error.get('message')}" if isinstance(error, dict) else ""
        )
    elif kind == "job.added":
        detail = str(data.get("filename") or data.get("url"))
    elif kind == "stats":
        detail = (
            f"active {data.get('active')} queued {data.get('queued')}"
            f" {human_speed(data.get('speed'))}"
        )
    elif kind == "job.log":
        detail = f"{data.get('level')}: {data.get('message')}"
    elif kind == "pairing.requested":
        client = data.get("client") or {}
        detail = (
            f"code {data.get('code')} from {client.get('name')}"
            f" (approve: idm pair approve {data.get('code')})"
        )
    else:
        detail = ", ".join(f"{k}={v}" for k, v in data.items())
    return f"{event.get('seq', ''):>6} {kind:<18} {job:<10} {detail}"


# Times the protocol sends as Unix seconds (event ``at``, pairing ``created_at``); jobs
# already carry ISO 8601. ``--json`` output writes every one of them in one form.
TIME_KEYS = frozenset({"at", "created_at", "started_at", "finished_at", "expires_at"})


def iso_times(value: Any) -> Any:
    """``value`` with Unix-second times under TIME_KEYS as ISO 8601 UTC: ``…T…Z``."""
    if isinstance(value, dict):
        return {k: _iso(v) if k in TIME_KEYS else iso_times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [iso_times(v) for v in value]
    return value


def _iso(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    moment = datetime.fromtimestamp(value, UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def json_text(value: Any, indent: int | None = 2) -> str:
    """``--json`` output: ``value`` with its times as ISO 8601 (``iso_times``)."""
    return json.dumps(iso_times(value), indent=indent, ensure_ascii=False, default=str)
