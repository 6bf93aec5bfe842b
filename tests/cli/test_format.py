"""The CLI's pure parts: formatting and the --wait outcome, without a daemon."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from idmd.cli import exits
from idmd.cli.format import bar, event_line, job_details, job_row, job_table, progress_line, table
from idmd.cli.main import build_parser
from idmd.cli.wait import GONE, follow
from idmd.protocol.models import Job


def test_bars_are_plain_ascii() -> None:
    assert bar(50, 100, 10) == "[#####.....]"
    assert bar(1, None, 4) == "[????]"


def test_a_listed_row_reads_unknowns_as_dashes() -> None:
    assert job_row(
        {"id": "q", "status": "queued", "url": "http://x/y", "size": None, "done": 0, "speed": 0}
    ) == ["q", "queued", "–", "–", "–", "–", "http://x/y", ""]
    assert job_row(
        {
            "id": "d",
            "status": "downloading",
            "filename": "f",
            "size": None,
            "done": 2048,
            "speed": 0,
        }
    )[2:5] == ["2.0 KiB", "–", "0 B/s"]


def test_ls_rows_show_the_time_left_and_the_error() -> None:
    running: Job = {
        "id": "d",
        "status": "downloading",
        "filename": "f",
        "size": 100,
        "done": 50,
        "speed": 10,
        "eta": 75,
    }
    failed: Job = {
        "id": "e",
        "status": "failed",
        "filename": "g",
        "size": None,
        "done": 0,
        "speed": 0,
        "eta": None,
        "error": {"code": -32011, "message": "HTTP 404 Not Found"},
    }
    assert job_row(running)[5] == "1:15" and job_row(running)[7] == ""
    assert job_row(failed)[5] == "–" and job_row(failed)[7] == "HTTP 404 Not Found"
    assert job_table([running, failed]).splitlines()[0].split()[-1] == "ERROR"
    assert job_table([running]).splitlines()[0].split()[-1] == "NAME"


def test_a_progress_line_fits_the_width_and_shows_the_numbers() -> None:
    job = {
        "id": "j1",
        "filename": "x" * 200,
        "done": 512 * 1024,
        "size": 1024 * 1024,
        "speed": 1024,
        "eta": 512,
        "status": "downloading",
    }
    line = progress_line(job, 100)
    assert len(line) == 100
    assert (
        " 50.0% " in line
        and "512 KiB/1.0 MiB" in line
        and "1.0 KiB/s ETA    8:32 downloading" in line
    )


def test_tables_and_details() -> None:
    assert table([["a", "bb"], ["ccc", "d"]], ["H1", "H2"]).splitlines() == [
        "H1   H2",
        "a    bb",
        "ccc  d",
    ]
    details = job_details(
        {
            "id": "j1",
            "status": "failed",
            "size": 2048,
            "error": {"code": "http", "message": "404"},
            "segments": [[0, 10, 10], [10, 20, 3]],
        }
    )
    assert "size:        2048 (2.0 KiB)" in details and "error:       404 (http)" in details
    assert "segments:    2 (1 complete)" in details
    line = event_line(
        {
            "seq": 7,
            "type": "pairing.requested",
            "job": None,
            "data": {"code": "123456", "client": {"name": "Chrome"}},
        }
    )
    assert "idm pair approve 123456" in line


async def stream(items: list[dict[str, Any]]) -> AsyncGenerator[dict[str, Any], None]:
    for item in items:
        yield item


async def test_wait_reports_the_worst_outcome() -> None:
    jobs = {"a": {"id": "a", "status": "queued"}, "b": {"id": "b", "status": "queued"}}
    events = [
        {"type": "snapshot", "snapshot": {"jobs": [{"id": "a", "status": "downloading"}]}},
        {"type": "job.progress", "job": "a", "data": {"done": 5, "size": 10}},
        {"type": "job.status", "job": "other", "data": {"status": "failed"}},
        {"type": "job.status", "job": "a", "data": {"status": "completed", "error": None}},
        {
            "type": "job.status",
            "job": "b",
            "data": {"status": "failed", "error": {"message": "404"}},
        },
    ]
    out = io.StringIO()
    assert await follow(stream(events), jobs, out) == exits.FAILED
    assert out.getvalue().splitlines() == ["a completed None", "b failed: 404 None"]


async def test_wait_counts_a_removed_job_as_cancelled() -> None:
    jobs = {"a": {"id": "a", "status": "downloading", "filename": "f"}}
    out = io.StringIO()
    assert (
        await follow(stream([{"type": "job.removed", "job": "a", "data": {}}]), jobs, out)
        == exits.CANCELLED
    )


def test_the_help_documents_the_exit_statuses() -> None:
    assert "3  idmd is not running" in build_parser().format_help()


async def test_wait_says_connection_lost_when_the_stream_ends_early() -> None:
    jobs = {"a": {"id": "a", "status": "downloading"}}
    assert await follow(stream([]), jobs, io.StringIO()) == exits.CONNECTION_LOST


def test_ls_shows_a_category_column_only_when_a_job_has_one() -> None:
    zipped: Job = {
        "id": "z",
        "status": "completed",
        "filename": "a.zip",
        "size": 10,
        "done": 10,
        "speed": 0,
        "category": "Compressed",
    }
    plain: Job = {
        "id": "p",
        "status": "completed",
        "filename": "a.bin",
        "size": 10,
        "done": 10,
        "speed": 0,
    }
    lines = job_table([zipped, plain]).splitlines()
    assert lines[0].split()[-2:] == ["CATEGORY", "NAME"]
    assert lines[1].split()[-2:] == ["Compressed", "a.zip"] and lines[2].split()[-2:] == [
        "–",
        "a.bin",
    ]
    assert "CATEGORY" not in job_table([plain])
    assert "category:    Compressed" in job_details(zipped)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_wait_on_a_terminal_keeps_hundreds_of_jobs_to_one_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`idm add -w` with 300 URLs on a 20-line terminal: every redraw fits the screen (the
    unfinished jobs first, then a count of the rest), and the last one says how all ended.
    Redrawing all 300 lines for each of the 900 events wrote 270,000 lines."""
    monkeypatch.setenv("LINES", "20")
    monkeypatch.setenv("COLUMNS", "100")
    jobs: dict[str, Any] = {f"j{i}": {"id": f"j{i}", "status": "queued"} for i in range(300)}
    events = []
    for i in range(300):
        for status in ("downloading", "failed" if i == 299 else "completed"):
            events.append({"type": "job.status", "job": f"j{i}", "data": {"status": status}})
        events.append({"type": "job.updated", "job": f"j{i}", "data": {"filename": f"f{i}"}})
    out = Terminal()
    assert await follow(stream(events), jobs, out) == exits.FAILED
    blocks = re.split(r"\x1b\[\d+F", out.getvalue())
    assert all(block.count("\n") <= 19 for block in blocks), max(b.count("\n") for b in blocks)
    assert len(blocks) < 300  # redrawn at most a few times a second, not once per event
    assert "\x1b[2K300 jobs: 299 completed, 1 failed\n" in blocks[-1], blocks[-1]


async def test_wait_after_a_reconnection_finds_in_the_history_what_the_snapshot_lacks() -> None:
    # idmd restarted while idm was away: its snapshot holds the unfinished jobs only. "a"
    # completed before the crash (its event never reached idm), "b" is running, "c" is gone.
    jobs: dict[str, Job] = {j: {"id": j, "status": "downloading"} for j in ("a", "b", "c")}
    history: dict[str, Job] = {"a": {"id": "a", "status": "completed", "error": None}}
    asked: list[str] = []

    async def lookup(job_id: str) -> Job | None:
        asked.append(job_id)
        return history.get(job_id)

    events: list[dict[str, Any]] = [
        {"type": "snapshot", "reset": True, "snapshot": {"jobs": [dict(jobs["b"])]}},
        {"type": "job.status", "job": "b", "data": {"status": "completed", "error": None}},
    ]
    out = io.StringIO()
    assert await follow(stream(events), jobs, out, lookup=lookup) == exits.CANCELLED
    assert sorted(asked) == ["a", "c"]
    assert out.getvalue().splitlines() == [
        "a completed None",
        f"c cancelled: {GONE} None",
        "b completed None",
    ]
