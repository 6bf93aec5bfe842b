"""The TUI in a small terminal: at 80×24 a row still shows the name, the progress,
the speed and the status, and every key is reachable from the footer or the
palette; names use the whole width again once the keys panel closes."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from idm_tui.app import IdmApp
from tests.tui.fake_client import JOBS, FakeClient, make_job
from tests.tui.helpers import wait_until

LONG_NAME = "a-rather-long-file-name-that-needs-most-of-a-wide-terminal-to-show.tar.zst"


def make_app(jobs: list[dict[str, Any]] | None = None) -> IdmApp:
    async def factory(say: Any) -> FakeClient:
        return FakeClient(jobs=jobs)

    return IdmApp(factory, use_clipboard=False)


async def loaded(pilot: Pilot, rows: int) -> IdmApp:
    app = pilot.app
    assert isinstance(app, IdmApp)
    await wait_until(pilot, lambda: app.main_screen.table.row_count == rows, what="the jobs")
    await pilot.pause()
    return app


def line(app: IdmApp, y: int) -> str:
    return app.main_screen.table.render_line(y).text


async def test_80_by_24_shows_name_progress_speed_and_status() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, len(JOBS))
        header = line(app, 0)
        for label in ("Name", "Progress", "Speed", "Status"):
            assert label in header, header
        assert len(header.rstrip()) <= 80
        rows = [line(app, y) for y in range(1, len(JOBS) + 1)]
        downloading = next(r for r in rows if "video-1080p" in r)
        assert "downloading" in downloading and "MiB/s" in downloading


async def test_every_key_is_in_the_footer_or_the_palette_at_80_columns() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, len(JOBS))
        screen = app.main_screen
        in_footer = {
            key.description
            for key in screen.query(FooterKey)
            if key.region.width and key.region.right <= 80
        }
        for wanted in ("Add", "Cancel", "Limit", "Search", "Quit"):
            assert wanted in in_footer, in_footer
        in_palette = {command.title.split(" (")[0] for command in screen.palette_commands()}
        for binding in screen.BINDINGS:
            action, description = (
                getattr(binding, "action", ""),
                getattr(binding, "description", ""),
            )
            if action not in ("app.quit", "end_search"):  # quit is in the footer, escape is escape
                assert description in in_footer | in_palette, description


async def test_names_use_the_whole_width_again_after_the_keys_panel_closes() -> None:
    app = make_app([make_job(1, "paused", 100, 10, filename=LONG_NAME)])
    async with app.run_test(size=(160, 30)) as pilot:
        await loaded(pilot, 1)
        assert LONG_NAME in line(app, 1)
        app.action_show_help_panel()
        await wait_until(
            pilot,
            lambda: LONG_NAME not in app.export_screenshot(),
            what="the name cut beside the panel",
        )
        app.action_hide_help_panel()
        # What the terminal shows, not what the table would render now.
        await wait_until(
            pilot, lambda: LONG_NAME in app.export_screenshot(), what="the whole name again"
        )


async def test_an_empty_list_says_how_to_add_a_download() -> None:
    app = make_app([])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(
            pilot, lambda: app.main_screen.status.state == "connected", what="connected"
        )
        await wait_until(pilot, lambda: "a: add a download" in line(app, 1), what="the hint")


async def test_cancel_asks_first_and_escape_keeps_the_download() -> None:
    from idm_tui.screens.confirm import CancelScreen

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot, len(JOBS))
        client = app.client
        assert isinstance(client, FakeClient)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, CancelScreen), what="the question")
        await pilot.press("escape")
        await wait_until(
            pilot, lambda: not isinstance(app.screen, CancelScreen), what="the question gone"
        )
        assert not [c for c in client.calls if c[0] == "jobs.cancel"]
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, CancelScreen), what="the question")
        await pilot.press("y")
        await wait_until(
            pilot, lambda: any(c[0] == "jobs.cancel" for c in client.calls), what="the cancel"
        )


async def test_escape_closes_the_keys_panel() -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot, len(JOBS))
        app.action_show_help_panel()
        await wait_until(pilot, lambda: bool(app.screen.query("HelpPanel")), what="the keys panel")
        await pilot.press("escape")
        await wait_until(
            pilot, lambda: not app.screen.query("HelpPanel"), what="the keys panel closed"
        )


async def test_the_add_dialog_says_how_to_add_and_close() -> None:
    # Enter in the URL box starts another URL line, so the dialog must say which key adds.
    from idm_tui.screens.add import AddScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, len(JOBS))
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AddScreen), what="the add dialog")
        await pilot.pause()
        picture = app.export_screenshot()
        assert "ctrl+s" in picture and "esc" in picture
