"""The details view against a real idmd: ``u`` gives a failed download a new link (a link to
another file is refused in the dialog, saying what differs), and a download that failed on
the network shows when it is tried again."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from rich.console import Console
from textual.widgets import Input, Label, Static

from idm_tui.app import IdmApp
from idm_tui.link import connect_factory
from idm_tui.screens.details import DetailsScreen
from idm_tui.screens.refresh import RefreshScreen
from tests.daemon_process import DaemonProcess
from tests.engine.servers import expired_link_site, payload
from tests.tui.helpers import ready, wait_until

SIZE = (120, 36)
BODY = payload(2 * 1024 * 1024)


@pytest.fixture
async def links() -> AsyncIterator[TestServer]:
    server = await expired_link_site(BODY, 300 * 1024, payload(5000, seed=9))
    yield server
    await server.close()


def plain(renderable: Any) -> str:
    console = Console(width=120, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


async def open_details(app: IdmApp, pilot: Any, job_id: str) -> None:
    await wait_until(
        pilot, lambda: app.main_screen.table.selected_id == job_id, what="the job selected"
    )
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, DetailsScreen), what="the details view")


async def test_a_new_link_in_the_details_view(daemon: DaemonProcess, links: TestServer) -> None:
    app = IdmApp(connect_factory(daemon.url, daemon.token), use_clipboard=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        assert app.client is not None
        job = await app.client.call("jobs.add", {"url": str(links.make_url("/old"))})
        await wait_until(
            pilot,
            lambda: app.model.jobs.get(job["id"], {}).get("status") == "failed",
            what="failed",
        )
        await open_details(app, pilot, job["id"])
        await pilot.press("u")
        await wait_until(
            pilot, lambda: isinstance(app.screen, RefreshScreen), what="the new-link dialog"
        )
        await ready(pilot, "#refresh-url")
        field = app.screen.query_one("#refresh-url", Input)
        field.value = str(links.make_url("/other"))
        await pilot.press("enter")
        error = app.screen.query_one("#refresh-error", Label)
        await wait_until(pilot, lambda: "≠" in str(error.content), what="the refusal")
        assert f"size 5000 ≠ {len(BODY)}" in str(error.content)
        field.value = str(links.make_url("/new"))
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: isinstance(app.screen, DetailsScreen), what="the dialog closed"
        )
        await wait_until(
            pilot, lambda: app.model.jobs[job["id"]]["status"] == "completed", what="completed"
        )
        fields = plain(app.screen.query_one("#fields", Static).content)
        assert "/new" in fields and "completed" in fields


async def test_the_details_say_when_a_failed_download_comes_back(
    daemon: DaemonProcess, links: TestServer
) -> None:
    app = IdmApp(connect_factory(daemon.url, daemon.token), use_clipboard=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        assert app.client is not None
        job = await app.client.call("jobs.add", {"url": str(links.make_url("/busy"))})
        await wait_until(
            pilot, lambda: "retry_at" in app.model.jobs.get(job["id"], {}), what="a retry time"
        )
        await open_details(app, pilot, job["id"])
        fields = plain(app.screen.query_one("#fields", Static).content)
        assert "retry" in fields and "automatic retry 1" in fields and "HTTP 503" in fields
