"""The dialogs against a real idmd: pairing approval for a browser, the
duplicate decision, remove with the file, history search and the speed limit."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from idm_tui.app import IdmApp
from idm_tui.link import connect_factory
from idm_tui.screens.add import AddScreen
from idm_tui.screens.confirm import RemoveScreen
from idm_tui.screens.duplicate import DuplicateScreen
from idm_tui.screens.limit import LimitScreen
from idm_tui.screens.pairing import PairingScreen
from tests.daemon_process import DaemonProcess
from tests.tui.helpers import file_server, ready, wait_until

SIZE = (120, 36)
BODY = b"idm" * 100_000


@pytest.fixture
async def files(tmp_path: Path) -> AsyncIterator[TestServer]:
    path = tmp_path / "body.bin"
    path.write_bytes(BODY)
    async with file_server(path) as server:
        yield server


def tui(daemon: DaemonProcess) -> IdmApp:
    return IdmApp(connect_factory(daemon.url, daemon.token), use_clipboard=False)


async def test_pairing_request_is_approved_from_the_modal(daemon: DaemonProcess) -> None:
    app = tui(daemon)
    async with app.run_test(size=SIZE) as pilot, aiohttp.ClientSession() as session:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        async with session.ws_connect(daemon.url, protocols=["idm.v1.json"]) as browser:
            await browser.send_json(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "session.pair",
                    "params": {"client": {"name": "Test Browser", "version": "1"}},
                }
            )
            code = (await browser.receive_json(timeout=10))["result"]["code"]
            await wait_until(
                pilot, lambda: isinstance(app.screen, PairingScreen), what="the pairing modal"
            )
            assert app.screen.code == code and app.screen.client_name == "Test Browser"
            await ready(pilot, "#approve")
            await pilot.click("#approve")
            while True:  # the browser's connection gets its token as an event
                message = json.loads((await browser.receive(timeout=10)).data)
                if (
                    message.get("method") == "event"
                    and message["params"]["type"] == "pairing.approved"
                ):
                    assert len(message["params"]["data"]["token"]) >= 32
                    break
        await wait_until(
            pilot, lambda: not isinstance(app.screen, PairingScreen), what="the modal closed"
        )


async def test_a_duplicate_waits_for_the_user_and_rename_keeps_both_files(
    daemon: DaemonProcess, files: TestServer
) -> None:
    app = tui(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        assert app.client is not None
        url = str(files.make_url("/same.bin"))
        first = await app.client.call("jobs.add", {"url": url, "options": {}})
        await wait_until(
            pilot, lambda: app.model.jobs.get(first["id"], {}).get("status") == "completed"
        )
        second = await app.client.call("jobs.add", {"url": url, "options": {"on_duplicate": "ask"}})
        await wait_until(
            pilot, lambda: isinstance(app.screen, DuplicateScreen), what="the duplicate modal"
        )
        assert app.screen.job["id"] == second["id"]
        await ready(pilot, "#rename")
        await pilot.click("#rename")
        await wait_until(
            pilot,
            lambda: app.model.jobs.get(second["id"], {}).get("status") == "completed",
            what="the renamed download",
        )
        assert len([p for p in app.screen_stack if isinstance(p, DuplicateScreen)]) == 0
    names = sorted(p.name for p in daemon.download_dir.iterdir())
    assert len(names) == 2 and "same.bin" in names
    assert all((daemon.download_dir / name).read_bytes() == BODY for name in names)


async def test_delete_asks_and_can_remove_the_file_too(
    daemon: DaemonProcess, files: TestServer
) -> None:
    app = tui(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        assert app.client is not None
        job = await app.client.call(
            "jobs.add", {"url": str(files.make_url("/gone.bin")), "options": {}}
        )
        await wait_until(
            pilot, lambda: app.model.jobs.get(job["id"], {}).get("status") == "completed"
        )
        path = Path(app.model.jobs[job["id"]]["path"])
        assert path.exists()
        await wait_until(
            pilot, lambda: app.main_screen.table.selected_id == job["id"], what="the row"
        )
        await pilot.press("delete")
        await wait_until(
            pilot, lambda: isinstance(app.screen, RemoveScreen), what="the confirmation"
        )
        await ready(pilot, "#yes")
        await pilot.click("#delete-file")
        await pilot.click("#yes")
        await wait_until(
            pilot, lambda: job["id"] not in app.main_screen.table.order, what="the row gone"
        )
        await wait_until(pilot, lambda: not path.exists(), what="the file deleted")


async def test_slash_searches_the_history_on_the_daemon(
    daemon: DaemonProcess, files: TestServer
) -> None:
    app = tui(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        assert app.client is not None
        for name in ("alpha-report.pdf", "beta-movie.mkv", "alpha-notes.txt"):
            await app.client.call(
                "jobs.add", {"url": str(files.make_url(f"/{name}")), "options": {"start": "paused"}}
            )
        await wait_until(pilot, lambda: app.main_screen.table.row_count == 3)
        await pilot.press("slash", *"alpha", "enter")
        await wait_until(
            pilot,
            lambda: app.main_screen.search is not None and app.main_screen.search.total == 2,
            what="the search result",
        )
        await wait_until(pilot, lambda: app.main_screen.table.row_count == 2)
        shown = {app.model.jobs[i]["url"].rsplit("/", 1)[1] for i in app.main_screen.table.order}
        assert shown == {"alpha-report.pdf", "alpha-notes.txt"}
        assert "2 of 2" in str(app.main_screen.query_one("#search-info").render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.main_screen.table.row_count == 3, what="all rows back")


async def test_search_filters_while_typing_with_one_request_in_flight(
    daemon: DaemonProcess, files: TestServer
) -> None:
    app = tui(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        client = app.client
        assert client is not None
        for name in ("alpha-report.pdf", "beta-movie.mkv", "alpha-notes.txt", "alpine.iso"):
            await client.call(
                "jobs.add", {"url": str(files.make_url(f"/{name}")), "options": {"start": "paused"}}
            )
        await wait_until(pilot, lambda: app.main_screen.table.row_count == 4)
        # Hold every search on its way to the daemon, to type while one is in flight.
        release = asyncio.Event()
        asked: list[str] = []
        in_flight = [0, 0]  # now, most at once
        call = client.call

        async def held_call(method: str, params: Any = None) -> Any:
            if method != "jobs.list" or not (params or {}).get("query"):
                return await call(method, params)
            asked.append(params["query"])
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
            try:
                await release.wait()
                return await call(method, params)
            finally:
                in_flight[0] -= 1

        client.call = held_call  # type: ignore[method-assign]
        screen = app.main_screen
        await pilot.press("slash", *"alp")  # no enter: the pause in typing asks
        # The first pause in typing sends a query ("alp", or a prefix on a slow machine).
        await wait_until(
            pilot, lambda: len(asked) == 1 and screen.asked == "alp", what="the first search sent"
        )
        await pilot.press(*"ha-")
        await wait_until(pilot, lambda: screen.asked == "alpha-", what="the newest query")
        await pilot.press("backspace")
        await wait_until(pilot, lambda: screen.asked == "alpha", what="the newest query")
        assert "searching 'alpha'" in str(screen.query_one("#search-info").render())
        release.set()
        await wait_until(
            pilot,
            lambda: screen.search is not None and screen.search.query == "alpha",
            what="the latest query's answer",
        )
        await wait_until(pilot, lambda: screen.table.row_count == 2)
        assert len(asked) == 2 and "alp".startswith(asked[0])
        assert asked[1] == "alpha"  # "alpha-" waited and was replaced, never sent
        assert in_flight[1] == 1
        shown = {app.model.jobs[i]["url"].rsplit("/", 1)[1] for i in screen.table.order}
        assert shown == {"alpha-report.pdf", "alpha-notes.txt"}
        await pilot.press(*["backspace"] * 5)  # an empty box shows every row again
        await wait_until(pilot, lambda: screen.table.row_count == 4, what="all rows back")


async def test_the_global_speed_limit_is_set_from_the_dialog(daemon: DaemonProcess) -> None:
    app = tui(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        await pilot.press("l")
        await wait_until(
            pilot, lambda: isinstance(app.screen, LimitScreen), what="the limit dialog"
        )
        await pilot.press(*"2M", "enter")
        await wait_until(
            pilot, lambda: app.main_screen.status.limit == 2 * 1024 * 1024, what="the limit shown"
        )
        assert app.client is not None
        config = await app.client.call("config.get")
        assert config["speed_limit"] == 2 * 1024 * 1024
        assert "limit 2.0 MiB/s" in str(app.main_screen.status.render())


async def test_the_limit_dialog_reads_units_and_says_the_form_it_expects(
    daemon: DaemonProcess,
) -> None:
    app = tui(daemon)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        await pilot.press("l")
        await wait_until(
            pilot, lambda: isinstance(app.screen, LimitScreen), what="the limit dialog"
        )
        await ready(pilot, "#rate")
        await pilot.press(*"fast", "enter")
        error = str(app.screen.query_one("#limit-error").render())
        assert (
            "expected a number of bytes, optionally with a unit: 1048576, 500K, 1M, 2.5MiB" in error
        )
        assert isinstance(app.screen, LimitScreen)  # still open, to correct
        await pilot.press(*["backspace"] * 4, *"2.5MiB", "enter")
        await wait_until(
            pilot,
            lambda: app.main_screen.status.limit == int(2.5 * 1024 * 1024),
            what="the limit shown",
        )


async def test_a_pairing_approved_elsewhere_closes_the_modal(daemon: DaemonProcess) -> None:
    app = tui(daemon)
    async with app.run_test(size=SIZE) as pilot, aiohttp.ClientSession() as session:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        assert app.client is not None
        async with session.ws_connect(daemon.url, protocols=["idm.v1.json"]) as browser:
            await browser.send_json(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "session.pair",
                    "params": {"client": {"name": "Other Browser", "version": "1"}},
                }
            )
            code = (await browser.receive_json(timeout=10))["result"]["code"]
            await wait_until(
                pilot, lambda: isinstance(app.screen, PairingScreen), what="the pairing modal"
            )
            await app.client.call(
                "pairing.approve", {"code": code}
            )  # as `idm pair approve CODE` does
            await wait_until(
                pilot, lambda: not isinstance(app.screen, PairingScreen), what="the modal closed"
            )


async def test_the_add_dialog_adds_several_urls_with_every_option(
    daemon: DaemonProcess, files: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the user's directory: "rel/sub" is under it, not the daemon's
    app = tui(daemon)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AddScreen), what="the add dialog")
        await ready(pilot, "#urls")
        await pilot.press(
            *str(files.make_url("/one.bin")), "enter", *str(files.make_url("/two.bin"))
        )
        for field, text in (
            ("#dir", "rel/sub"),
            ("#connections", "3"),
            ("#checksum", "SHA256=" + hashlib.sha256(BODY).hexdigest().upper()),
        ):
            await pilot.click(field)
            await pilot.press(*text)
        await pilot.click("#headers")
        await pilot.press(*"X-Test: yes")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is app.main_screen, what="the dialog closed")
        await wait_until(
            pilot,
            lambda: (
                len(app.model.jobs) == 2
                and all(job["status"] == "completed" for job in app.model.jobs.values())
            ),
            timeout=30,
            what="both downloads verified and complete",
        )
        assert app.client is not None
        jobs = [await app.client.call("jobs.get", {"id": job_id}) for job_id in app.model.jobs]
    folder = tmp_path / "rel" / "sub"
    assert sorted(p.name for p in folder.iterdir()) == ["one.bin", "two.bin"]
    assert all((folder / name).read_bytes() == BODY for name in ("one.bin", "two.bin"))
    for job in jobs:
        assert job["options"]["dir"] == str(folder)
        assert job["options"]["connections"] == 3
        assert job["options"]["headers"] == {"X-Test": "yes"}


async def test_the_add_dialog_shows_each_error_under_its_field(daemon: DaemonProcess) -> None:
    app = tui(daemon)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AddScreen), what="the add dialog")
        await ready(pilot, "#urls")
        screen = app.screen
        await pilot.press(*"http://127.0.0.1:9/a.iso", "enter", *"http://127.0.0.1:9/b.iso")
        for field, text in (
            ("#filename", "x.iso"),
            ("#connections", "99"),
            ("#checksum", "md5=abc"),
        ):
            await pilot.click(field)
            await pilot.press(*text)
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: screen.query_one("#checksum-error").has_class("shown"), what="the errors"
        )

        def error(name: str) -> str:
            return str(screen.query_one(f"#{name}-error").render())

        assert "one URL" in error("filename")
        assert error("connections") == "must be an integer from 1 to 32"
        assert "md5" in error("checksum") and "32 hex digits" in error("checksum")
        assert not screen.query_one("#dir-error").has_class("shown")
        assert app.screen is screen  # still open, to correct
        assert app.client is not None
        assert (await app.client.call("jobs.list", {}))["total"] == 0  # nothing was added
