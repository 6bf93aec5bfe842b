"""The queues and schedule dialog (``w``) against a real idmd: a refused window shows the
daemon's message under the form, a saved queue appears in the table, a hold and the speed
windows take effect. The daemon runs on the real clock, so every case here has the same
answer at any time of day (tests/rpc/test_queues.py drives the clock)."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, DataTable, Input, Label

from idm_tui.app import IdmApp
from idm_tui.link import connect_factory
from idm_tui.screens.schedule import ScheduleScreen
from tests.daemon_process import DaemonProcess
from tests.tui.helpers import ready, wait_until

SIZE = (130, 40)


def cells(app: IdmApp, name: str) -> list[str]:
    table = app.screen.query_one("#queues", DataTable)
    return [str(c) for c in table.get_row(name)] if name in [k.value for k in table.rows] else []


async def push(pilot: Pilot[None], selector: str) -> None:
    """Press a button of the dialog (it may be scrolled out of sight in a small terminal)."""
    await ready(pilot, selector)
    pilot.app.screen.query_one(selector, Button).press()
    await pilot.pause()


def label(app: IdmApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Label).render())


async def test_queues_and_speed_windows_are_seen_and_edited(daemon: DaemonProcess) -> None:
    app = IdmApp(connect_factory(daemon.url, daemon.token), use_clipboard=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main_screen.status.state == "connected")
        await pilot.press("w")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ScheduleScreen), what="the schedule dialog"
        )
        await wait_until(
            pilot,
            lambda: cells(app, "default")[:3] == ["default", "open", "any time"],
            what="the default queue listed",
        )

        screen = app.screen
        screen.query_one("#name", Input).value = "night"
        screen.query_one("#windows", Input).value = "mon-fri 08:00-18:00; fri 17:00-19:00"
        await push(pilot, "#save")
        await wait_until(
            pilot, lambda: "overlap" in label(app, "#schedule-error"), what="the refusal"
        )
        assert "windows[0] (mon-fri 08:00-18:00) and windows[1] (fri 17:00-19:00)" in label(
            app, "#schedule-error"
        )
        assert cells(app, "night") == []  # nothing saved

        screen.query_one("#windows", Input).value = "daily 00:00-24:00"
        screen.query_one("#start-at", Input).value = "2099-01-01T00:00"
        screen.query_one("#stop-when-done", Checkbox).value = True
        await push(pilot, "#save")
        await wait_until(
            pilot, lambda: cells(app, "night")[:2] == ["night", "closed"], what="the new queue"
        )
        assert cells(app, "night")[2:5] == ["daily 00:00-24:00", "2099-01-01T00:00", "stop"]
        assert label(app, "#schedule-error") == ""

        screen.query_one("#name", Input).value = "default"
        await push(pilot, "#hold")
        await wait_until(
            pilot, lambda: cells(app, "default")[1] == "held", what="the default queue held"
        )
        await push(pilot, "#release")
        await wait_until(
            pilot, lambda: cells(app, "default")[1] == "open", what="the default queue started"
        )

        assert app.client is not None
        await app.client.call("queues.set", {"name": "elsewhere"})  # changed by another client
        await wait_until(
            pilot,
            lambda: cells(app, "elsewhere")[:2] == ["elsewhere", "open"],
            what="the queue another client made",
        )

        screen.query_one("#limits", Input).value = "daily 00:00-24:00 1M"
        await push(pilot, "#save-limits")
        await wait_until(
            pilot, lambda: "in effect 1.0 MiB/s" in label(app, "#limit-now"), what="the limit"
        )
        assert app.client is not None
        assert (await app.client.call("schedule.get"))["effective"] == 1024 * 1024
        await pilot.press("escape")
        await wait_until(
            pilot, lambda: not isinstance(app.screen, ScheduleScreen), what="the dialog closed"
        )
