"""A job's row in the table as Rich text: coloured status, progress bar.

Kept apart from the table widget so the snapshot of a row is easy to read
and the colours live in one place.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from idm_tui.format import fraction, human_eta, human_percent, human_size, human_speed, progress_bar

BAR_WIDTH = 16

STATUS_STYLES: dict[str, str] = {
    "queued": "bright_black",
    "downloading": "bold cyan",
    "paused": "yellow",
    "waiting": "bold magenta",
    "completed": "green",
    "failed": "bold red",
    "cancelled": "red",
}

COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("name", "Name", None),
    ("size", "Size", 9),
    ("bar", "Progress", BAR_WIDTH),
    ("percent", "%", 6),
    ("speed", "Speed", 11),
    ("eta", "ETA", 8),
    ("conns", "Conn", 4),
    ("status", "Status", 11),
)


def job_name(job: dict[str, Any]) -> str:
    media = job.get("media") or {}
    return str(job.get("filename") or media.get("title") or job.get("url") or job.get("id"))


def row_cells(job: dict[str, Any], name_width: int = 40) -> dict[str, Text | str]:
    """The cells of one row, keyed by column."""
    status = str(job.get("status", ""))
    style = STATUS_STYLES.get(status, "")
    size = job.get("size")
    done = job.get("done") or 0
    share = fraction(done, size)
    if share is None and status == "completed":
        share = 1.0
    name = job_name(job)
    if len(name) > name_width:
        name = name[: name_width - 1] + "…"
    size_text = human_size(size) if size is not None else (human_size(done) if done else "–")
    active = status == "downloading"
    return {
        "name": name,
        "size": Text(size_text, justify="right"),
        "bar": Text(progress_bar(share, BAR_WIDTH), style=style or "cyan"),
        "percent": Text(human_percent(done, size, status), justify="right"),
        "speed": Text(human_speed(job.get("speed")) if active else "", justify="right"),
        "eta": Text(human_eta(job.get("eta")) if active else "", justify="right"),
        "conns": Text(str(job.get("connections") or "") if active else "", justify="right"),
        "status": Text(status, style=style),
    }
