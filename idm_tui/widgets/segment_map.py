"""IDM's segment picture: a bar over the file's bytes, one colour per segment,
shaded by how much of each cell is on disk (the pure part is ``segmap``)."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from idm_tui.segmap import segment_cells, shade
from idmd.protocol.models import Job

_PALETTE = (
    "cyan",
    "green",
    "magenta",
    "yellow",
    "blue",
    "bright_cyan",
    "bright_green",
    "bright_magenta",
)


class SegmentMap(Widget):
    """Two rows: the map itself and a legend of the segments.

    Reactives: ``segments`` (``[[start, end, done], ...]``), ``total`` (bytes) and
    ``complete`` (a finished job draws full even without segments).
    """

    DEFAULT_CSS = """
    SegmentMap { height: 2; }
    """

    segments: reactive[list[list[int]]] = reactive(list, always_update=True)
    total: reactive[int | None] = reactive(None)
    complete: reactive[bool] = reactive(False)

    def set_job(self, job: Job) -> None:
        self.total = job.get("size")
        self.complete = job.get("status") == "completed"
        self.segments = [list(s) for s in job.get("segments") or []]

    def render(self) -> Text:
        width = max(1, self.content_size.width or 60)
        text = Text()
        if self.complete and not self.segments:
            text.append("█" * width, style="green")
        else:
            for cell in segment_cells(self.segments, self.total, width):
                color = (
                    _PALETTE[cell.segment % len(_PALETTE)] if cell.segment >= 0 else "bright_black"
                )
                char = shade(cell.share)
                # Undone bytes are dots in their segment's colour, so every range shows.
                text.append(char if char != " " else "·", style=color)
        text.append("\n")
        count = len(self.segments)
        done = sum(1 for s in self.segments if len(s) >= 3 and s[2] >= s[1] - s[0])
        text.append(
            f"{count} segments, {done} complete" if count else "no segments", style="italic"
        )
        return text
