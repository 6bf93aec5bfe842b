"""The details view of one job: every field, the segment map, the speed over
the last minute and the job's log lines, all kept live from the model."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar, cast

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, RichLog, Sparkline, Static

from idm_tui.format import short_time
from idm_tui.model import Change
from idm_tui.screens.job_actions import JobActions
from idm_tui.screens.refresh import RefreshScreen
from idm_tui.widgets.cells import STATUS_STYLES, job_name
from idm_tui.widgets.segment_map import SegmentMap
from idmd.core.human import human_eta, human_percent, human_size, human_speed
from idmd.protocol.models import Job, merge

SEGMENT_REFRESH = 1.0  # seconds between jobs.get calls for fresh segments while downloading


def field_rows(job: Job) -> list[tuple[str, str | Text]]:
    """Every field of a job as (label, value) for the details table."""
    status = str(job.get("status", ""))
    error = job.get("error")
    media: Mapping[str, Any] = job.get("media") or {}
    options: Mapping[str, Any] = job.get("options") or {}
    rows: list[tuple[str, str | Text]] = [
        ("id", str(job.get("id", ""))),
        ("url", str(job.get("url", ""))),
        ("kind", str(job.get("kind", ""))),
        ("status", Text(status, style=STATUS_STYLES.get(status, ""))),
        ("file", str(job.get("filename") or "–")),
        ("path", str(job.get("path") or "–")),
        ("size", human_size(job.get("size"))),
        (
            "done",
            (
                f"{human_size(job.get('done') or 0)}  "
                f"{human_percent(job.get('done'), job.get('size'), status)}"
            ),
        ),
        ("speed", human_speed(job.get("speed"))),
        ("eta", human_eta(job.get("eta"))),
        ("connections", str(job.get("connections") or 0)),
        ("created", short_time(job.get("created_at"))),
        ("started", short_time(job.get("started_at"))),
        ("finished", short_time(job.get("finished_at"))),
    ]
    if job.get("category"):
        rows.append(("category", str(job.get("category"))))
    if error:
        rows.append(
            ("error", Text(f"{error.get('message', '')} ({error.get('code', '')})", style="red"))
        )
    if job.get("retry_at"):
        rows.append(
            (
                "retry",
                (
                    f"{short_time(job.get('retry_at'))} "
                    f"(automatic retry {int(job.get('auto_retries') or 0) + 1})"
                ),
            )
        )
    if media:
        rows.append(
            (
                "media",
                " · ".join(str(media[k]) for k in ("title", "format", "quality") if media.get(k)),
            )
        )
    if options:
        rows.append(
            (
                "options",
                ", ".join(
                    f"{k}={v}"
                    for k, v in sorted(options.items())
                    if k not in ("headers", "cookies")
                ),
            )
        )
    return rows


WIDE_FIELDS = ("url", "path", "error", "retry", "media", "options")


def fields_renderable(job: Job) -> Group:
    """Short fields two to a line, then the long ones (URL, path, …) one per line."""
    rows = field_rows(job)
    short = [row for row in rows if row[0] not in WIDE_FIELDS]
    pairs = Table.grid(padding=(0, 2))
    for _ in range(2):
        pairs.add_column(style="bold", no_wrap=True)
        pairs.add_column(no_wrap=True, min_width=28)
    for i in range(0, len(short), 2):
        pairs.add_row(*(part for row in short[i : i + 2] for part in row))
    wide = Table.grid(padding=(0, 2))
    wide.add_column(style="bold", no_wrap=True, min_width=11)
    wide.add_column(overflow="fold")
    for label, value in rows:
        if label in WIDE_FIELDS:
            wide.add_row(label, value)
    return Group(pairs, wide)


class DetailsScreen(JobActions, Screen[None]):
    """One job in full. ``escape`` goes back; the job's keys still work here."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("space", "pause_resume", "Pause", key_display="spc"),
        Binding("x", "cancel", "Cancel"),
        Binding("r", "retry", "Retry"),
        Binding("o", "open_folder", "Folder"),
        Binding("u", "new_url", "New URL"),
    ]

    def __init__(self, job_id: str) -> None:
        super().__init__()
        self.job_id = job_id
        self._fetched_at = 0.0
        self._log_count = -1

    @property
    def job(self) -> Job:
        known = self.idm.model.jobs.get(self.job_id)
        return known if known is not None else cast(Job, {"id": self.job_id, "status": "removed"})

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="details"):
            yield Label(job_name(self.job), id="details-title", classes="title")
            yield Static(id="fields")
            yield Label("Segments", classes="section")
            yield SegmentMap(id="segmap")
            yield Label("Speed, last minute", id="speed-label", classes="section")
            yield Sparkline([], id="speed")
            yield Label("Log", classes="section")
            yield RichLog(id="log", max_lines=200, wrap=True)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_all()
        self.fetch()

    def fetch(self) -> None:
        """``jobs.get``: the job with its segments (events carry them only on request)."""
        self._fetched_at = time.monotonic()

        def done(job: Any) -> None:
            if isinstance(job, dict) and self.job_id in self.idm.model.jobs:
                merge(self.idm.model.jobs[self.job_id], job)
                self.refresh_all()

        self.idm.request("jobs.get", {"id": self.job_id}, done)

    def apply_change(self, change: Change) -> None:
        if self.job_id in change.rows or change.log == self.job_id:
            self.refresh_all()
            job = self.job
            stale = time.monotonic() - self._fetched_at >= SEGMENT_REFRESH
            if self.job_id in change.rows and job.get("status") == "downloading" and stale:
                self.fetch()

    def refresh_all(self) -> None:
        job = self.job
        self.query_one("#details-title", Label).update(job_name(job))
        self.query_one("#fields", Static).update(fields_renderable(job))
        self.query_one(SegmentMap).set_job(job)
        history = self.idm.model.speeds.get(self.job_id)
        series = history.series() if history is not None else []
        self.query_one(Sparkline).data = series or [0.0]
        peak = max(series) if series else 0
        self.query_one("#speed-label", Label).update(
            f"Speed, last minute (peak {human_speed(peak)})"
        )
        logs = list(self.idm.model.logs.get(self.job_id, ()))
        if len(logs) != self._log_count or self._log_count == len(logs) == 200:
            log = self.query_one(RichLog)
            log.clear()
            for line in logs:
                log.write(line)
            self._log_count = len(logs)

    def action_new_url(self) -> None:
        """A paused or failed download gets a new link (an expired one): its bytes are kept."""
        job = self.selected()
        if job is not None:
            self.app.push_screen(RefreshScreen(job))

    def action_back(self) -> None:
        self.app.pop_screen()

    def selected(self) -> Job | None:
        return self.idm.model.jobs.get(self.job_id)
