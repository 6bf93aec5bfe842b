"""The main table of jobs: a line-based scroll view (Toolong's approach) that
renders each row once into a cached strip and repaints only the rows that
changed, so 50 downloads updating four times a second cost little.

The screen hands it the visible ids and the dirty ones; it never reads the
daemon itself. ``DataTable`` re-renders every visible cell on any update,
which is what this widget exists to avoid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, cast

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from idm_tui.widgets.cells import COLUMNS, Column, columns_for, fixed_width, row_cells
from idmd.protocol.models import Job

FIXED = fixed_width(COLUMNS)


def row_text(
    cells: Mapping[str, Text | str], name_width: int, columns: tuple[Column, ...] = COLUMNS
) -> Text:
    """One row's cells cut or padded to their columns, as a single line of text."""
    line = Text(no_wrap=True, end="")
    for key, _, width in columns:
        value = cells[key]
        cell = value.copy() if isinstance(value, Text) else Text(str(value))
        size = width or name_width
        cell.truncate(size, overflow="ellipsis")
        gap = size - cell.cell_len
        line.append(" ")
        if cell.justify == "right":
            line.append(" " * gap)
            line.append_text(cell)
        else:
            line.append_text(cell)
            line.append(" " * gap)
        line.append(" ")
    return line


class JobTable(ScrollView, can_focus=True):
    """Jobs in rows keyed by job id, under a header that stays put.

    The cursor follows the job, not the index, when rows come and go.
    Messages: ``RowHighlighted`` when the cursor moves, ``RowSelected`` on
    enter or a click on the row under the cursor.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Details", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "job-table--header",
        "job-table--cursor",
        "job-table--cursor-blurred",
        "job-table--odd",
    }

    DEFAULT_CSS = """
    JobTable { height: 1fr; background: $surface; }
    JobTable > .job-table--header { background: $panel; text-style: bold; }
    JobTable > .job-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    JobTable > .job-table--cursor-blurred { background: $block-cursor-blurred-background; }
    JobTable > .job-table--odd { background: $foreground 4%; }
    """

    cursor_row: reactive[int] = reactive(0)
    """Index of the row under the cursor."""

    class RowHighlighted(Message):
        """The cursor moved to ``job_id`` at ``cursor_row``."""

        def __init__(self, cursor_row: int, job_id: str | None) -> None:
            super().__init__()
            self.cursor_row = cursor_row
            self.job_id = job_id

    class RowSelected(Message):
        """The user chose ``job_id`` (enter, or a click on the current row)."""

        def __init__(self, job_id: str) -> None:
            super().__init__()
            self.job_id = job_id

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._jobs: Mapping[str, Job] = {}
        # Cells per job with the name width they were cut for: a resize that arrives after
        # the repaint (closing the keys panel) must not leave names cut for the old width.
        self._cells: dict[str, tuple[int, dict[str, Text | str]]] = {}
        self._strips: dict[str, tuple[tuple[Any, ...], Strip]] = {}
        self.empty_text = ""  # shown in the first row when there are no jobs to show
        self.node: str | None = None  # the daemon's node name in a fleet (a Node column)

    # -- what the screen calls ---------------------------------------------------

    @property
    def order(self) -> list[str]:
        return list(self._order)

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def selected_id(self) -> str | None:
        """The job under the cursor, if any."""
        if 0 <= self.cursor_row < len(self._order):
            return self._order[self.cursor_row]
        return None

    def show(self, ids: list[str], jobs: Mapping[str, Job], empty_text: str = "") -> None:
        """Show exactly ``ids`` in that order, keeping the cursor on the same job;
        ``empty_text`` is what the table says when ``ids`` is empty."""
        self._jobs = jobs
        if empty_text != self.empty_text:
            self.empty_text = empty_text
            self.refresh()
        ids = list(dict.fromkeys(ids))  # one row per job, whatever the caller merged
        if ids == self._order:
            self.update_rows(ids, jobs)
            return
        keep = self.selected_id
        self._order = list(ids)
        self._index = {job_id: row for row, job_id in enumerate(self._order)}
        self._cells = {k: v for k, v in self._cells.items() if k in self._index}
        self._strips = {k: v for k, v in self._strips.items() if k in self._index}
        for job_id in ids:
            self._cells.pop(job_id, None)  # rows are cheap to redo lazily, only when seen
        self.virtual_size = Size(0, len(self._order) + 1)  # never wider: no horizontal scrolling
        row = self._index.get(keep, min(self.cursor_row, len(self._order) - 1)) if keep else 0
        self.set_reactive(JobTable.cursor_row, max(0, row))
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.RowHighlighted(self.cursor_row, self.selected_id))

    def update_rows(self, ids: Iterable[str], jobs: Mapping[str, Job]) -> None:
        """Repaint the rows in ``ids`` that are shown (the others cost nothing)."""
        self._jobs = jobs
        for job_id in ids:
            row = self._index.get(job_id)
            if row is None:
                continue
            self._cells.pop(job_id, None)
            self._strips.pop(job_id, None)
            self._refresh_row(row)

    def set_node(self, node: str | None) -> None:
        """In a fleet (``node``: the daemon's name in it), rows name their job's node."""
        if node != self.node:
            self.node = node
            self._cells.clear()
            self._strips.clear()
            self.refresh()

    @property
    def column_keys(self) -> list[str]:
        """The columns shown now (they depend on the width and on being in a fleet)."""
        return [key for key, _, _ in self._columns()]

    def get_cell(self, job_id: str, column: str) -> Text | str:
        """What the row shows in ``column`` (tests read the table through this)."""
        return self._row_cells(job_id)[column]

    def move_cursor(self, row: int) -> None:
        self.cursor_row = max(0, min(row, len(self._order) - 1))

    # -- rendering ------------------------------------------------------------------

    def _columns(self) -> tuple[Column, ...]:
        return columns_for(self.scrollable_content_region.width or 120, self.node is not None)

    def _name_width(self) -> int:
        return max(16, (self.scrollable_content_region.width or 120) - fixed_width(self._columns()))

    def _row_cells(self, job_id: str) -> dict[str, Text | str]:
        width = self._name_width()
        cached = self._cells.get(job_id)
        if cached is None or cached[0] != width:
            job = self._jobs.get(job_id) or cast(Job, {"id": job_id})
            cached = self._cells[job_id] = (width, row_cells(job, width, self.node or ""))
        return cached[1]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header_strip(width)
        row = self.scroll_offset.y + y - 1
        if row >= len(self._order):
            if row == 0 and self.empty_text:
                hint = Text(" " + self.empty_text, style="italic", no_wrap=True, end="")
                return (
                    Strip(hint.render(self.app.console), hint.cell_len)
                    .adjust_cell_length(width)
                    .apply_style(self.rich_style)
                )
            return Strip.blank(width, self.rich_style)
        job_id = self._order[row]
        if row == self.cursor_row:
            kind = "job-table--cursor" if self.has_focus else "job-table--cursor-blurred"
        else:
            kind = "job-table--odd" if row % 2 else ""
        # The key holds everything a strip depends on besides the job: a row that
        # moves (parity), gains the cursor or is resized is redrawn, nothing else.
        key = (width, kind, self.app.theme)
        cached = self._strips.get(job_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        style = self.rich_style + (self.get_component_rich_style(kind) if kind else Style())
        text = row_text(self._row_cells(job_id), self._name_width(), self._columns())
        segments = list(text.render(self.app.console))
        if kind == "job-table--cursor":
            # The cursor's colours win over the cells' own, as in DataTable.
            segments = list(
                Segment.apply_style(segments, post_style=self.get_component_rich_style(kind))
            )
        strip = Strip(segments, text.cell_len).adjust_cell_length(width).apply_style(style)
        self._strips[job_id] = (key, strip)
        return strip

    def _header_strip(self, width: int) -> Strip:
        style = self.rich_style + self.get_component_rich_style("job-table--header")
        columns = self._columns()
        cells = {
            key: Text(label, justify="right" if width_ and key not in ("bar", "status") else "left")
            for key, label, width_ in columns
        }
        text = row_text(cells, self._name_width(), columns)
        return (
            Strip(text.render(self.app.console), text.cell_len)
            .adjust_cell_length(width)
            .apply_style(style)
        )

    def _refresh_row(self, row: int) -> None:
        y = row - self.scroll_offset.y + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.size.height - 1)
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    # -- events -----------------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        for row in (old, new):
            job_id = self._order[row] if 0 <= row < len(self._order) else None
            if job_id is not None:
                self._strips.pop(job_id, None)
                self._refresh_row(row)
        self._scroll_to_cursor()
        self.post_message(self.RowHighlighted(new, self.selected_id))

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(0, len(self._order) + 1)
        self._cells.clear()
        self._strips.clear()
        self.refresh()  # rows painted before the resize arrived were cut for the old width

    def on_focus(self) -> None:
        self._repaint_cursor()

    def on_blur(self) -> None:
        self._repaint_cursor()

    def _repaint_cursor(self) -> None:
        if self.selected_id is not None:
            self._strips.pop(self.selected_id, None)
            self._refresh_row(self.cursor_row)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = self.scroll_offset.y + offset.y - 1
        if not 0 <= row < len(self._order):
            return
        if row == self.cursor_row and event.chain >= 2:
            self.action_select()
        self.cursor_row = row

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * max(1, self.size.height - 2))

    def action_jump(self, row: int) -> None:
        self.move_cursor(row if row >= 0 else len(self._order) - 1)

    def action_select(self) -> None:
        if self.selected_id is not None:
            self.post_message(self.RowSelected(self.selected_id))
