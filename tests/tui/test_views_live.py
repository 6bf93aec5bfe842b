"""Views against a real idmd: the tabs filter by status, the details view
shows a running job's segments, speed and log, the command palette offers
the job actions, and ``--no-autostart`` without a daemon fails saying why."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from rich.console import Console
from textual.widgets import Static

from idm_tui.app import IdmApp
from idm_tui.link import connect_factory, start_daemon
from idm_tui.screens.details import DetailsScreen
from idm_tui.widgets.segment_map import SegmentMap
from tests.daemon_process import DaemonProcess
from tests.tui.helpers import file_server, wait_until

SIZE = (120, 36)
BODY = bytes(range(256)) * 8192  # 2 MiB


@pytest.fixture
async def files(tmp_path: Path) -> AsyncIterator[TestServer]:
    """Any name serves the same 2 MiB, with ranges (so a job gets segments)."""
    path = tmp_path / "body.bin"
    path.write_bytes(BODY)
    async with file_server(path) as server:
        yield server


def plain(renderable: Any) -> str:
    """What a Rich renderable reads as on a 120-column terminal."""
    console = Console(width=120, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def tui(daemon: DaemonProcess) -> IdmApp:
    return IdmApp(connect_factory(daemon.url, daemon.token), use_clipboard=False)


async def test_tabs_show_only_their_statuses_and_priority_keys_work(
    daemon: DaemonProcess, files: TestServer
) -> None:
    app = tui(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        assert app.client is not None
        done = await app.client.call(
            "jobs.add", {"url": str(files.make_url("/done.bin")), "options": {}}
        )
        later = await app.client.call(
            "jobs.add", {"url": str(files.make_url("/later.bin")), "options": {"start": "paused"}}
        )
        await wait_until(
            pilot, lambda: app.model.jobs.get(done["id"], {}).get("status") == "completed"
        )
        await wait_until(pilot, lambda: app.main_screen.table.row_count == 2)
        await pilot.press("4")  # Completed
        await wait_until(
            pilot, lambda: app.main_screen.table.order == [done["id"]], what="completed only"
        )
        await pilot.press("3")  # Queued (and paused)
        await wait_until(
            pilot, lambda: app.main_screen.table.order == [later["id"]], what="paused only"
        )
        await pilot.press("5")  # Failed
        await wait_until(pilot, lambda: app.main_screen.table.order == [], what="no failures")
        await pilot.press("1")
        await wait_until(
            pilot, lambda: set(app.main_screen.table.order) == {done["id"], later["id"]}
        )
        # Priority up twice on the paused job, each step applied by the daemon and sent back.
        app.main_screen.table.move_cursor(app.main_screen.table.order.index(later["id"]))

        def options() -> dict[str, Any]:
            return app.model.jobs[later["id"]].get("options") or {}

        await pilot.press("plus")
        await wait_until(pilot, lambda: options().get("priority") == 1, what="priority 1")
        await pilot.press("plus")
        await wait_until(pilot, lambda: options().get("priority") == 2, what="priority 2")
        await pilot.press("minus")
        await wait_until(pilot, lambda: options().get("priority") == 1, what="priority back to 1")


async def test_details_show_segments_speed_and_log_of_a_running_job(
    daemon: DaemonProcess, files: TestServer
) -> None:
    app = tui(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        assert app.client is not None
        job = await app.client.call(
            "jobs.add",
            {
                "url": str(files.make_url("/slow.bin")),
                "options": {"connections": 4, "speed_limit": 256 * 1024},
            },
        )
        await wait_until(pilot, lambda: app.main_screen.table.selected_id == job["id"])
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: isinstance(app.screen, DetailsScreen), what="the details view"
        )
        segmap = app.screen.query_one(SegmentMap)
        await wait_until(pilot, lambda: len(segmap.segments) >= 2, what="segments")
        assert segmap.total == len(BODY)
        await wait_until(
            pilot, lambda: any(s[2] > 0 for s in segmap.segments), what="bytes in a segment"
        )
        await wait_until(
            pilot, lambda: max(app.model.speeds[job["id"]].series()) > 0, what="a speed sample"
        )
        fields = plain(app.screen.query_one("#fields", Static).content)
        assert job["id"] in fields and "downloading" in fields and "2.0 MiB" in fields
        await app.client.call("jobs.update", {"id": job["id"], "patch": {"speed_limit": 0}})
        await wait_until(
            pilot, lambda: app.model.jobs[job["id"]]["status"] == "completed", what="completed"
        )
        await wait_until(
            pilot, lambda: "completed" in plain(app.screen.query_one("#fields", Static).content)
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main_screen, what="back to the list")


async def test_the_command_palette_offers_the_job_actions(daemon: DaemonProcess) -> None:
    app = tui(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        titles = [command.title for command in app.get_system_commands(app.main_screen)]
        for action in (
            "Add (a)",
            "Pause (spc)",
            "Cancel (x)",
            "Retry (r)",
            "Remove (del)",
            "Limit (l)",
            "Search (/)",
            "Prio+ (+)",
            "Folder (o)",
        ):
            assert action in titles
        add = next(c for c in app.get_system_commands(app.main_screen) if c.title == "Add (a)")
        add.callback()
        await wait_until(
            pilot, lambda: type(app.screen).__name__ == "AddScreen", what="the add dialog"
        )


async def test_no_autostart_without_a_daemon_fails_saying_why(idm_home: Path) -> None:
    app = IdmApp(connect_factory(autostart=False), use_clipboard=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.return_code is not None, what="the exit")
    assert app.return_code == 1
    assert not (idm_home / "daemon.json").exists()  # nothing was started


async def test_the_history_is_read_from_the_daemon_a_page_at_a_time(idm_home: Path) -> None:
    daemon = DaemonProcess(idm_home).start()
    from idmd.client import Client

    client = await Client.connect(daemon.url, daemon.token)
    try:
        items = [
            {"url": f"http://127.0.0.1:9/old-{n:03d}.bin", "options": {"start": "paused"}}
            for n in range(150)
        ]
        jobs = await client.call("jobs.add_many", {"items": items})
        await client.call("jobs.cancel", {"ids": [job["id"] for job in jobs]})
    finally:
        await client.close()
    daemon.stop()  # after a restart the snapshot holds no finished job: only the history has them
    daemon = DaemonProcess(idm_home).start()
    try:
        app = tui(daemon)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(
                pilot, lambda: app.main_screen.table.row_count == 100, what="the first page"
            )
            await pilot.press("end")  # the last row asks for the next page
            await wait_until(
                pilot, lambda: app.main_screen.table.row_count == 150, what="the second page"
            )
            await pilot.press("5")  # Failed (and cancelled): all of them are known by now
            await wait_until(
                pilot, lambda: app.main_screen.table.row_count == 150, what="the failed tab"
            )
            await pilot.press("3")  # Queued: none
            await wait_until(
                pilot, lambda: app.main_screen.table.row_count == 0, what="the queued tab"
            )
    finally:
        daemon.stop()


async def test_s_starts_the_daemon_again_after_it_died(idm_home: Path) -> None:
    daemon = DaemonProcess(idm_home).start()
    assert daemon.proc is not None
    # The daemon started again takes its port from config.toml: any free one.
    (idm_home / "config.toml").write_text("port = 0\n")
    app = IdmApp(connect_factory(autostart=False), use_clipboard=False, daemon_starter=start_daemon)
    try:
        async with app.run_test(size=SIZE) as pilot:
            status = app.main_screen.status
            await wait_until(pilot, lambda: status.state == "connected")
            assert "start idmd" not in str(status.render())
            daemon.kill()
            await wait_until(pilot, lambda: status.state == "reconnecting", what="the daemon gone")
            assert "s: start idmd" in str(status.render())
            await pilot.press("s")
            await wait_until(
                pilot, lambda: status.state == "connected", timeout=30, what="connected again"
            )
            assert daemon_pid(idm_home) != daemon.proc.pid
            assert app.client is not None
            assert "speed_limit" in await app.client.call("config.get")  # the new daemon answers
    finally:
        started = daemon_pid(idm_home)
        if started and started != daemon.proc.pid and Path(f"/proc/{started}").exists():
            os.kill(started, signal.SIGTERM)  # the daemon this test started, by its pid
            deadline = time.monotonic() + 15
            while Path(f"/proc/{started}").exists() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)  # polls for the exit (not ours to wait on), bounded


def daemon_pid(home: Path) -> int:
    try:
        return int(json.loads((home / "daemon.json").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return 0


async def test_the_palette_offers_to_start_the_daemon(daemon: DaemonProcess) -> None:
    app = IdmApp(connect_factory(daemon.url, daemon.token), use_clipboard=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        titles = [command.title for command in app.get_system_commands(app.main_screen)]
        assert "Start idmd (s)" in titles
