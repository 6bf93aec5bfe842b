"""Pure text formatting for ``idm``: sizes, speeds, ETAs, progress bars, tables.

No I/O here, so the output is tested without a daemon or a terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def size(value: float | None) -> str:
    if value is None:
        return "?"
    amount = float(value)
    for unit in UNITS:
        if abs(amount) < 1024 or unit == UNITS[-1]:
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} TiB"  # pragma: no cover - the loop always returns


def speed(value: float | None) -> str:
    return f"{size(value)}/s" if value else "-"


def eta(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return "-"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def percent(done: int | None, total: int | None) -> float | None:
    if not total or done is None:
        return None
    return max(0.0, min(100.0, 100.0 * done / total))


def bar(done: int | None, total: int | None, width: int = 20) -> str:
    share = percent(done, total)
    if share is None:
        return "[" + "?" * width + "]"
    filled = int(width * share / 100)
    return "[" + "#" * filled + "." * (width - filled) + "]"


def progress_line(job: dict[str, Any], width: int = 80) -> str:
    """One line for a job: name, bar, percent, bytes, speed, ETA, status."""
    share = percent(job.get("done"), job.get("size"))
    pct = f"{share:5.1f}%" if share is not None else "    ?%"
    tail = (f" {bar(job.get('done'), job.get('size'))} {pct} {size(job.get('done'))}/{size(job.get('size'))}"
            f" {speed(job.get('speed'))} ETA {eta(job.get('eta')):>7} {job.get('status', ''):<11}")
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


def job_row(job: dict[str, Any]) -> list[str]:
    share = percent(job.get("done"), job.get("size"))
    progress = f"{share:.0f}%" if share is not None else (size(job.get("done")) if job.get("done") else "-")
    return [str(job.get("id", "")), str(job.get("status", "")), progress, size(job.get("size")),
            speed(job.get("speed")) if job.get("status") == "downloading" else "-",
            str(job.get("filename") or job.get("url") or "")]


JOB_HEADERS = ("ID", "STATUS", "DONE", "SIZE", "SPEED", "NAME")


def job_details(job: dict[str, Any]) -> str:
    """``idm info``: every field on its own line; segments summarised."""
    lines = []
    for key in ("id", "url", "kind", "status", "filename", "path", "size", "done", "speed", "eta", "connections",
                "created_at", "started_at", "finished_at"):
        value = job.get(key)
        if key in ("size", "done") and value is not None:
            value = f"{value} ({size(value)})"
        elif key == "speed":
            value = speed(value)
        elif key == "eta":
            value = eta(value)
        lines.append(f"{key + ':':<13}{'-' if value is None else value}")
    error = job.get("error")
    if error:
        lines.append(f"{'error:':<13}{error.get('message')} ({error.get('code')})")
    media = job.get("media")
    if media:
        lines.append(f"{'media:':<13}{media.get('title')} [{media.get('quality') or media.get('format') or ''}]")
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
        detail = f"{size(data.get('done'))}/{size(data.get('size'))} {speed(data.get('speed'))} ETA {eta(data.get('eta'))}"
    elif kind == "job.status":
        error = data.get("error")
        detail = str(data.get("status")) + (f": {error.get('message')}" if isinstance(error, dict) else "")
    elif kind == "job.added":
        detail = str(data.get("filename") or data.get("url"))
    elif kind == "stats":
        detail = f"active {data.get('active')} queued {data.get('queued')} {speed(data.get('speed'))}"
    elif kind == "job.log":
        detail = f"{data.get('level')}: {data.get('message')}"
    elif kind == "pairing.requested":
        client = data.get("client") or {}
        detail = f"code {data.get('code')} from {client.get('name')} (approve: idm pair approve {data.get('code')})"
    else:
        detail = ", ".join(f"{k}={v}" for k, v in data.items())
    return f"{event.get('seq', ''):>6} {kind:<18} {job:<10} {detail}"
