"""The main screen: tabs, the live job table, history search and every job action.

It reads the app's ``JobModel`` and repaints from coalesced changes; actions
are RPC calls whose results come back as events, so nothing is changed locally.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, Tab, Tabs

from idm_tui.format import fleet_line
from idm_tui.latest import LatestWins
from idm_tui.model import VIEW_STATUSES, Change, View
from idm_tui.screens.job_actions import JobActions
from idm_tui.widgets.job_table import JobTable
from idm_tui.widgets.status_line import StatusLine
from idmd.protocol.models import Job, JobPage

PAGE = 100  # jobs per jobs.list page (history and search)
# Search as you type asks once the typing pauses this long, not on every key.
SEARCH_DELAY = 0.3


@dataclass
class Search:
    """One history search: its query, the ids found so far and the next page's cursor."""

    query: str
    ids: list[str] = field(default_factory=list)
    total: int = 0
    cursor: str | None = None


@dataclass
class SearchWish:
    """One jobs.list a search wants: its parameters, the search it fills and the
    search session (``epoch``) it belongs to; escape starts a new session."""

    params: dict[str, Any]
    search: Search
    epoch: int


class MainScreen(JobActions, Screen[None]):
    """The job list.

    Keys: ``a`` add, ``space`` pause/resume, ``x`` cancel, ``r`` retry,
    ``delete`` remove, ``enter`` details, ``o`` open folder, ``+``/``-``
    priority, ``l`` speed limit, ``/`` search, ``escape`` end the search,
    ``1``-``5`` tabs, ``s`` start idmd again after it died, ``q`` quit (the daemon
    keeps running).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add"),
        Binding("space", "pause_resume", "Pause", key_display="spc"),
        Binding("x", "cancel", "Cancel"),
        # Shown in the palette (^p) and the keys panel only, so that the footer fits 80 columns.
        Binding("r", "retry", "Retry", show=False),
        Binding("delete", "remove", "Remove", key_display="del"),
        Binding("enter", "details", "Details", key_display="⏎", show=False),
        Binding("o", "open_folder", "Folder", show=False),
        Binding("plus", "priority(1)", "Prio+", key_display="+", show=False),
        Binding("minus", "priority(-1)", "Prio-", key_display="-", show=False),
        Binding("l", "limit", "Limit"),
        Binding("w", "schedule", "Queues and schedule", show=False),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("escape", "end_search", "End search or close the keys panel", show=False),
        Binding("q", "app.quit", "Quit"),
        # The status line says "s: start idmd" while the daemon is gone.
        Binding("s", "app.start_daemon", "Start idmd", show=False),
        *(
            Binding(str(i + 1), f"view('{view.value}')", view.value.title(), show=False)
            for i, view in enumerate(View)
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = View.ALL
        self.search: Search | None = None
        self.history_cursor: dict[
            View, str | None
        ] = {}  # next page per tab; absent: not loaded yet
        self.searches: LatestWins[SearchWish] = (
            LatestWins()
        )  # one jobs.list in flight, the latest waits
        self.search_epoch = 0
        self.asked = ""  # the query last asked for (shown as "searching…" until answered)
        self._typing: Timer | None = None
        self.status = StatusLine()

    def compose(self) -> ComposeResult:
        yield Tabs(*(Tab(view.value.title(), id=view.value) for view in View), id="views")
        yield Input(
            placeholder="search the history by name or URL as you type; escape ends", id="search"
        )
        yield Label("", id="search-info")
        yield JobTable(id="jobs")
        yield self.status
        yield Footer(compact=True)

    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    def on_mount(self) -> None:
        self.table.focus()

    # -- repainting ----------------------------------------------------------------

    def visible_ids(self) -> list[str]:
        jobs = self.idm.model.jobs
        if self.search is not None:
            statuses = VIEW_STATUSES[self.view]
            return [
                i
                for i in self.search.ids
                if i in jobs and (statuses is None or jobs[i].get("status") in statuses)
            ]
        return self.idm.model.visible(self.view)

    def apply_change(self, change: Change) -> None:
        if not self.query(JobTable):
            # A flush timer can fire while the app exits and the screen's widgets are already
            # gone (seen when run_test ends under load): there is nothing left to paint.
            return
        model = self.idm.model
        if change.structure:
            self.table.show(self.visible_ids(), model.jobs, self._empty_text())
        elif change.rows:
            self.table.update_rows(change.rows, model.jobs)
        counts = model.counts()
        self.status.speed = model.total_speed()
        self.status.active = counts["active"]
        self.status.queued = counts["queued"]
        fleet = model.stats.get("fleet")
        self.status.fleet = fleet_line(fleet)
        self.table.set_node(str(fleet.get("node") or "") if isinstance(fleet, dict) else None)
        self.status.limit = int(model.config.get("speed_limit") or 0)

    def _empty_text(self) -> str:
        """What an empty table says: how to start, or why nothing shows."""
        if self.search is not None:
            return f"nothing matches {self.search.query!r} (escape ends the search)"
        if not self.idm.model.jobs:
            return "a: add a download"
        return f"no {self.view.value} downloads"

    def repaint(self) -> None:
        self.apply_change(Change(structure=True))

    def on_snapshot(self) -> None:
        """After each (re)connection: the config for the limit, then the tab's history."""
        self.history_cursor.clear()
        self.idm.request("config.get", None, self._got_config)
        self.load_history()

    def _got_config(self, config: Any) -> None:
        if isinstance(config, dict):
            self.idm.model.config.update(config)
            self.repaint()

    # -- tabs, history pages and search -----------------------------------------

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is None or event.tab.id is None:
            return
        self.view = View(event.tab.id)
        self.repaint()
        if self.asked:
            self.run_search(self.asked)
        elif self.view not in self.history_cursor:
            self.load_history()

    def action_view(self, view: str) -> None:
        self.query_one(Tabs).active = view

    def load_history(self, more: bool = False) -> None:
        """The first (or next) page of the finished jobs under this tab, from the daemon."""
        view = self.view
        if view in (View.ACTIVE, View.QUEUED) or self.idm.client is None:
            return  # the snapshot holds every unfinished job; on_snapshot loads the rest
        params: dict[str, Any] = {"limit": PAGE, "order": "-created_at"}
        statuses = VIEW_STATUSES[view]
        if statuses is not None:
            params["status"] = sorted(statuses)
        if more:
            cursor = self.history_cursor.get(view)
            if cursor is None:
                return
            params["cursor"] = cursor

        def done(result: JobPage) -> None:
            self.history_cursor[view] = result.get("cursor")
            self.idm.model.add_history(result.get("jobs") or [])
            self.repaint()

        self.history_cursor.setdefault(view, None)
        self.idm.request("jobs.list", params, done)

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.add_class("shown")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Search as you type: once the typing pauses (``SEARCH_DELAY``)."""
        if event.input.id != "search":
            return
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(SEARCH_DELAY, self._typed)

    def _typed(self) -> None:
        self._typing = None
        query = self.query_one("#search", Input).value.strip()
        if not query:
            self.clear_search()
        elif query != self.asked:
            self.run_search(query)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "search":
            return
        if self._typing is not None:  # enter asks at once
            self._typing.stop()
            self._typed()
        if not event.value.strip():
            self.action_end_search()
            return
        self.table.focus()

    def run_search(self, query: str, more: bool = False) -> None:
        """Ask for a query's first page (or the current search's next one).

        The rows shown stay those of the last answer until the new one comes.
        """
        params: dict[str, Any] = {"query": query, "limit": PAGE, "order": "-created_at"}
        statuses = VIEW_STATUSES[self.view]
        if statuses is not None:
            params["status"] = sorted(statuses)
        if more:
            if self.search is None or self.search.cursor is None:
                return
            params["cursor"] = self.search.cursor
        else:
            self.asked = query
        search = self.search if more and self.search is not None else Search(query)
        self._show_search_info()
        wish = SearchWish(params, search, self.search_epoch)
        if self.searches.ask(wish):
            self._send_search(wish)

    def _send_search(self, wish: SearchWish) -> None:
        async def run() -> None:
            try:
                result: JobPage | None = await self.idm.rpc("jobs.list", wish.params)
                if (
                    result is not None
                    and not self.searches.stale
                    and wish.epoch == self.search_epoch
                ):
                    self._take_search_page(wish.search, result)
            finally:
                following = self.searches.done()
                if following is not None:
                    self._send_search(following)

        self.run_worker(run(), group="search")

    def _take_search_page(self, search: Search, result: JobPage) -> None:
        jobs = result.get("jobs") or []
        self.idm.model.add_history(jobs)
        known = set(search.ids)  # a page asked for twice adds nothing twice
        search.ids.extend(
            i for i in (str(job["id"]) for job in jobs if "id" in job) if i not in known
        )
        search.total = int(result.get("total") or len(search.ids))
        search.cursor = result.get("cursor")
        self.search = search
        self._show_search_info()
        self.repaint()

    def _show_search_info(self) -> None:
        info = self.query_one("#search-info", Label)
        if self.search is None and not self.asked:
            info.remove_class("shown")
            return
        if self.search is None or self.search.query != self.asked:
            info.update(f"searching {self.asked!r}…")
        else:
            more = "  (move to the end for more)" if self.search.cursor else ""
            info.update(
                f"search {self.search.query!r}: {len(self.search.ids)} of {self.search.total}{more}"
            )
        info.add_class("shown")

    def clear_search(self) -> None:
        """Every row again; answers still on their way are dropped."""
        self.search = None
        self.asked = ""
        self.search_epoch += 1
        self._show_search_info()
        self.repaint()

    def action_end_search(self) -> None:
        if self.query("HelpPanel"):  # escape closes the keys panel first
            self.app.action_hide_help_panel()
            return
        if self._typing is not None:
            self._typing.stop()
            self._typing = None
        box = self.query_one("#search", Input)
        box.value = ""
        box.remove_class("shown")
        self.clear_search()
        self.table.focus()

    def on_job_table_row_highlighted(self, event: JobTable.RowHighlighted) -> None:
        if self.table.row_count == 0 or event.cursor_row < self.table.row_count - 1:
            return
        if self.search is not None:
            self.run_search(self.search.query, more=True)
        else:
            self.load_history(more=True)

    def on_job_table_row_selected(self, event: JobTable.RowSelected) -> None:
        self.action_details()

    # -- job actions -----------------------------------------------------------------

    def selected(self) -> Job | None:
        job_id = self.table.selected_id
        job = self.idm.model.jobs.get(job_id) if job_id else None
        if job is None:
            self.notify("no job selected", severity="warning")
        return job

    def action_add(self) -> None:
        from idm_tui.screens.add import AddScreen

        self.app.push_screen(AddScreen(read_clipboard=self.idm.use_clipboard))

    def action_details(self) -> None:
        from idm_tui.screens.details import DetailsScreen

        job = self.selected()
        if job is not None:
            self.app.push_screen(DetailsScreen(str(job["id"])))

    def action_limit(self) -> None:
        from idm_tui.screens.limit import LimitScreen

        job_id = self.table.selected_id
        job = self.idm.model.jobs.get(job_id) if job_id else None
        self.app.push_screen(LimitScreen(job, int(self.idm.model.config.get("speed_limit") or 0)))

    def action_schedule(self) -> None:
        from idm_tui.screens.schedule import ScheduleScreen

        self.app.push_screen(ScheduleScreen())

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Every key's action in the command palette too."""
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.action not in ("app.quit", "end_search"):
                key = binding.key_display or binding.key
                yield SystemCommand(
                    f"{binding.description} ({key})",
                    f"idm: {binding.description.lower()}",
                    lambda action=binding.action: self.call_later(self.run_action, action),
                )
