"""A job's row in the table as Rich text: coloured status, progress bar.

Kept apart from the table widget so the snapshot of a row is easy to read
and the colours live in one place.
"""

from __future__ import annotations

from rich.text import Text

from idm_tui.format import progress_bar
from idmd.core.human import UNKNOWN, fraction, human_eta, human_percent, human_size, human_speed
from idmd.protocol.models import Job

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

Column = tuple[str, str, int | None]  # key, header, width (None: the name takes what is left)

COLUMNS: tuple[Column, ...] = (
    ("name", "Name", None),
    ("size", "Size", 9),
    ("bar", "Progress", BAR_WIDTH),
    ("percent", "%", 6),
    ("speed", "Speed", 11),
    ("eta", "ETA", 8),
    ("conns", "Conn", 4),
    ("priority", "Pri", 3),
    ("status", "Status", 11),
)

# In a fleet only, before the status: the node that runs (or ran) the job.
NODE: Column = ("node", "Node", 8)

# Given up in this order when the terminal is narrow, so that the name, the
# progress, the speed and the status always show (an 80-column terminal keeps them).
DROP_ORDER = ("priority", "conns", "node", "eta", "percent", "size")
MIN_NAME_WIDTH = 16


def fixed_width(columns: tuple[Column, ...]) -> int:
    """The cells of every column but the name, with one space either side of each."""
    return sum(width or 0 for _, _, width in columns) + 2 * len(columns)


def columns_for(width: int, fleet: bool = False) -> tuple[Column, ...]:
    """The columns that fit ``width`` with a name of at least MIN_NAME_WIDTH cells (with the
    node column if the daemon is in a ``fleet``)."""
    shown = COLUMNS[:-1] + (NODE,) + COLUMNS[-1:] if fleet else COLUMNS
    for key in DROP_ORDER:
        if width - fixed_width(shown) >= MIN_NAME_WIDTH:
            break
        shown = tuple(column for column in shown if column[0] != key)
    return shown


def job_name(job: Job) -> str:
    media = job.get("media") or {}
    return str(job.get("filename") or media.get("title") or job.get("url") or job.get("id"))


def row_cells(job: Job, name_width: int = 40, node: str = "") -> dict[str, Text | str]:
    """The cells of one row, keyed by column; ``node``: the daemon's own node in a fleet (a job
    no event named another node for is its own: its history, a job added paused)."""
    status = str(job.get("status", ""))
    style = STATUS_STYLES.get(status, "")
    size = job.get("size")
    done = job.get("done") or 0
    share = fraction(done, size)
    if share is None and status == "completed":
        share = 1.0
    name: Text | str = job_name(job)
    category = str(job.get("category") or "")
    if (
        category
    ):  # after the name, dimmed, so the name keeps its room: cut the name, not the category
        room = max(1, name_width - len(category) - 3)
        short = str(name) if len(str(name)) <= room else str(name)[: room - 1] + "…"
        name = Text.assemble(short, (f" · {category}", "dim"))
    elif len(str(name)) > name_width:
        name = str(name)[: name_width - 1] + "…"
    size_text = human_size(size) if size is not None else (human_size(done) if done else UNKNOWN)
    active = status == "downloading"
    return {
        "name": name,
        "size": Text(size_text, justify="right"),
        "bar": Text(progress_bar(share, BAR_WIDTH), style=style or "cyan"),
        "percent": Text(human_percent(done, size, status), justify="right"),
        "speed": Text(human_speed(job.get("speed")) if active else "", justify="right"),
        "eta": Text(human_eta(job.get("eta")) if active else "", justify="right"),
        "conns": Text(str(job.get("connections") or "") if active else "", justify="right"),
        "priority": Text(_priority(job), justify="right"),
        "status": Text(status, style=style),
        "node": Text(str(job.get("node") or node), style="dim" if not active else ""),
    }


def _priority(job: Job) -> str:
    """A job's priority when it is not the default 0 (``+``/``-`` change it)."""
    value = (job.get("options") or {}).get("priority") or 0
    return f"{value:+d}" if isinstance(value, int) and value else ""
