"""The TUI against a real idmd on loopback and a local file server: a job
reaches 100 % in its row, pause and resume from the keyboard, and the TUI
reconnects by itself when the daemon restarts and shows the same state."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from textual.pilot import Pilot

from idm_tui.app import IdmApp
from idm_tui.link import connect_factory
from idm_tui.screens.add import AddScreen
from tests.daemon_process import DaemonProcess
from tests.tui.helpers import ready, wait_until

SIZE = (120, 36)
PAYLOAD = os.urandom(3 * 1024 * 1024)


@pytest.fixture
async def files(tmp_path: Path) -> AsyncIterator[TestServer]:
    """A local server with ``/file.bin`` (3 MiB, ranges supported)."""
    path = tmp_path / "served" / "file.bin"
    path.parent.mkdir()
    path.write_bytes(PAYLOAD)
    app = web.Application()

    async def serve(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path)

    app.router.add_get("/file.bin", serve)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


def cell(app: IdmApp, job_id: str, column: str) -> str:
    value: Any = app.main_screen.table.get_cell(job_id, column)
    return str(getattr(value, "plain", value))


def row_shown(app: IdmApp, job_id: str) -> bool:
    return job_id in app.main_screen.table.order


async def connected(pilot: Pilot, app: IdmApp) -> None:
    await wait_until(pilot, lambda: app.main_screen.status.state == "connected", what="connected")


async def test_a_job_added_in_the_dialog_reaches_100_percent_in_its_row(
    daemon: DaemonProcess, files: TestServer
) -> None:
    app = IdmApp(connect_factory(daemon.url, daemon.token), use_clipboard=False)
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot, app)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AddScreen), what="the add dialog")
        dialog = app.screen
        await ready(pilot, "#urls")
        await pilot.press(*str(files.make_url("/file.bin")))  # probed once the typing pauses
        await wait_until(
            pilot, lambda: dialog.probed_url == str(files.make_url("/file.bin")), what="the probe"
        )
        assert "3.0 MiB" in str(dialog.query_one("#probe-info").render())
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.main_screen.table.row_count == 1, what="the new row")
        job_id = app.main_screen.table.order[0]
        await wait_until(pilot, lambda: cell(app, job_id, "percent") == "100%", what="100 %")
        await wait_until(
            pilot, lambda: cell(app, job_id, "status") == "completed", what="completed"
        )
        assert cell(app, job_id, "name") == "file.bin"
        assert cell(app, job_id, "size").strip() == "3.0 MiB"
    done = daemon.download_dir / "file.bin"
    assert hashlib.sha256(done.read_bytes()).digest() == hashlib.sha256(PAYLOAD).digest()


async def test_space_pauses_and_resumes_the_selected_job(
    daemon: DaemonProcess, files: TestServer
) -> None:
    app = IdmApp(connect_factory(daemon.url, daemon.token), use_clipboard=False)
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot, app)
        assert app.client is not None
        # Slowed down so it is still running when the keys arrive.
        job = await app.client.call(
            "jobs.add",
            {
                "url": str(files.make_url("/file.bin")),
                "options": {"speed_limit": 64 * 1024, "connections": 1},
            },
        )
        job_id = job["id"]
        await wait_until(
            pilot,
            lambda: row_shown(app, job_id) and cell(app, job_id, "status") == "downloading",
            what="downloading",
        )
        await pilot.press("space")
        await wait_until(pilot, lambda: cell(app, job_id, "status") == "paused", what="paused")
        assert cell(app, job_id, "speed") == ""
        await pilot.press("space")
        await wait_until(
            pilot,
            lambda: cell(app, job_id, "status") in ("downloading", "completed"),
            what="resumed",
        )
        await app.client.call("jobs.update", {"id": job_id, "patch": {"speed_limit": 0}})
        await wait_until(
            pilot, lambda: cell(app, job_id, "status") == "completed", what="completed"
        )
        assert cell(app, job_id, "percent") == "100%"
    assert (daemon.download_dir / "file.bin").read_bytes() == PAYLOAD


async def test_the_tui_reconnects_after_a_daemon_restart_and_shows_the_same_jobs(
    daemon: DaemonProcess, files: TestServer
) -> None:
    # No --url: the TUI finds the daemon through daemon.json, as a user runs it,
    # so it follows the restarted daemon to its new port.
    app = IdmApp(connect_factory(), use_clipboard=False)
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot, app)
        assert app.client is not None
        url = str(files.make_url("/file.bin"))
        done = await app.client.call("jobs.add", {"url": url, "options": {"filename": "done.bin"}})
        paused = await app.client.call(
            "jobs.add", {"url": url, "options": {"filename": "later.bin", "start": "paused"}}
        )
        await wait_until(
            pilot,
            lambda: row_shown(app, done["id"]) and cell(app, done["id"], "status") == "completed",
            what="the first job completed",
        )
        await wait_until(pilot, lambda: row_shown(app, paused["id"]), what="the paused job")
        before = {job_id: cell(app, job_id, "status") for job_id in (done["id"], paused["id"])}

        daemon.stop()
        await wait_until(
            pilot, lambda: app.main_screen.status.state == "reconnecting", what="reconnecting"
        )
        assert "reconnecting" in str(app.main_screen.status.render())
        restarted = DaemonProcess(daemon.home).start()
        try:
            await wait_until(
                pilot,
                lambda: app.main_screen.status.state == "connected",
                timeout=30,
                what="connected again",
            )
            await wait_until(
                pilot, lambda: all(row_shown(app, j) for j in before), what="the same rows"
            )
            after = {job_id: cell(app, job_id, "status") for job_id in before}
            assert after == before == {done["id"]: "completed", paused["id"]: "paused"}
            # And the stream is live again: resuming the paused job shows in its row.
            app.main_screen.table.move_cursor(app.main_screen.table.order.index(paused["id"]))
            await pilot.press("space")
            await wait_until(
                pilot,
                lambda: cell(app, paused["id"], "status") == "completed",
                what="resumed after the restart",
            )
        finally:
            restarted.stop()


async def test_the_add_dialog_takes_a_url_from_the_clipboard_and_probes_it(
    daemon: DaemonProcess, files: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = str(files.make_url("/file.bin"))
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "xclip").write_text(f"#!/bin/sh\nprintf '%s' '{url}'\n")  # a stand-in clipboard
    (tools / "xclip").chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))
    app = IdmApp(connect_factory(daemon.url, daemon.token), use_clipboard=True)
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot, app)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AddScreen), what="the add dialog")
        dialog = app.screen
        await wait_until(
            pilot, lambda: dialog.probed is not None, what="the probe of the clipboard's URL"
        )
        assert dialog.query_one("#urls").text == url
        assert "file.bin" in str(dialog.query_one("#probe-info").render())
