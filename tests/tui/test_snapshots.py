"""What people see, as SVG baselines: the main screen, the add dialog with the
qualities the probe found, and the details view with its segment map.

The data comes from ``FakeClient`` (fixed jobs and times) so the pictures only
change when the UI does. Update with ``--snapshot-update`` and look at them.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import TextArea

from idm_tui.app import IdmApp
from idm_tui.screens.add import AddScreen
from idm_tui.screens.details import DetailsScreen
from tests.tui.fake_client import FakeClient, speed_events
from tests.tui.helpers import ready, wait_until

SIZE = (120, 36)


def make_app(events: list[dict[str, Any]] | None = None) -> IdmApp:
    async def factory(say: Any) -> FakeClient:
        return FakeClient(events=events)

    return IdmApp(factory, use_clipboard=False)


async def loaded(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, IdmApp)
    await wait_until(pilot, lambda: app.main_screen.table.row_count == 5, what="the five jobs")
    await wait_until(pilot, lambda: app.main_screen.status.state == "connected", what="connected")


def test_main_screen(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=loaded)


def test_add_dialog_offers_the_probed_qualities(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("a")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, AddScreen), what="the add dialog"
        )
        await ready(pilot, "#urls")
        await pilot.press(*"https://video.example/talk", "enter")
        screen = pilot.app.screen
        # The whole URL's probe (a pause in typing may have probed a part of it first).
        await wait_until(
            pilot, lambda: screen.probed_url == "https://video.example/talk", what="the probe"
        )
        await pilot.click("#quality")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_add_dialog_shows_probe_errors_in_place(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("a")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, AddScreen), what="the add dialog"
        )
        await ready(pilot, "#urls")
        await pilot.press(*"https://bad.example/", "enter")
        screen = pilot.app.screen
        await wait_until(
            pilot, lambda: screen.query_one("#probe-info").has_class("error"), what="the error"
        )
        screen.query_one(
            "#urls", TextArea
        ).cursor_blink = False  # the picture must not depend on the blink
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_details_with_segment_map(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, IdmApp)
        await loaded(pilot)
        await wait_until(
            pilot, lambda: len(app.model.logs.get("job003", ())) == 3, what="the log lines"
        )
        app.main_screen.table.move_cursor(app.main_screen.table.order.index("job003"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailsScreen), what="the details")
        await wait_until(
            pilot, lambda: ("jobs.get", {"id": "job003"}) in app.client.calls, what="jobs.get"
        )
        await pilot.pause()

    assert snap_compare(make_app(speed_events()), terminal_size=SIZE, run_before=run_before)
