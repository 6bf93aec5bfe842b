"""idm-tui attached to one node of a fleet: another node's job live in its table, the nodes
in its status line."""

from __future__ import annotations

from typing import Any

from idm_tui.app import IdmApp
from idm_tui.format import fleet_line
from idm_tui.link import connect_factory
from tests.fleet.conftest import Files, Fleet
from tests.tui.helpers import wait_until


def cell(app: IdmApp, job_id: str, column: str) -> str:
    value: Any = app.main_screen.table.get_cell(job_id, column)
    return str(getattr(value, "plain", value))


async def test_the_tui_on_one_node_shows_a_job_running_on_another_live(
    fleet: Fleet, files: Files
) -> None:
    files.pace = 0.05
    made = files.add(6, 1024 * 1024)
    n2 = fleet.node("n2").process
    app = IdmApp(connect_factory(n2.url, n2.token), use_clipboard=False)
    async with app.run_test(size=(140, 36)) as pilot:
        await wait_until(
            pilot, lambda: app.main_screen.status.state == "connected", what="connected"
        )
        await wait_until(
            pilot,
            lambda: app.main_screen.status.fleet.count("●") == 3,
            timeout=15,
            what="three nodes alive in the status line",
        )
        added = await fleet.node("n1").call(
            "jobs.add_many", {"items": [{"url": files.url(n)} for n in made]}
        )
        ids = [job["id"] for job in added]
        await wait_until(
            pilot,
            lambda: all(app.main_screen.table.order.count(i) == 1 for i in ids),
            what="a row per job",
        )
        await wait_until(
            pilot,
            lambda: all(cell(app, i, "status") == "completed" for i in ids),
            timeout=60,
            what="every row completed",
        )
    ran = await fleet.wait_completed(
        set(ids), timeout=10
    )  # the histories are written a moment later
    assert {ran[i][0] for i in ids} - {"n2"}, "every job ran on n2: nothing came from another node"


def test_the_fleet_line_names_each_node_alive_or_not() -> None:
    fleet = {
        "reachable": True,
        "nodes": [
            {"node": "n1", "alive": True, "active": 2, "speed": 1_500_000},
            {"node": "n2", "alive": True, "active": 0, "speed": 0},
            {"node": "n3", "alive": False},
        ],
    }
    assert fleet_line(fleet) == "fleet: n1 ● 2↓ 1.4 MiB/s  n2 ●  n3 ○"
    assert fleet_line({**fleet, "reachable": False}).startswith("fleet unreachable: ")
    assert fleet_line(None) == ""


async def test_in_a_fleet_the_job_table_names_the_node_that_runs_each_job(
    fleet: Fleet, files: Files
) -> None:
    files.pace = 0.05
    made = files.add(6, 512 * 1024)
    n2 = fleet.node("n2").process
    app = IdmApp(connect_factory(n2.url, n2.token), use_clipboard=False)
    async with app.run_test(size=(140, 36)) as pilot:
        table = app.main_screen.table
        await wait_until(
            pilot,
            lambda: "node" in table.column_keys,
            timeout=15,
            what="a node column once the daemon says it is in a fleet",
        )
        added = await fleet.node("n1").call(
            "jobs.add_many", {"items": [{"url": files.url(n)} for n in made]}
        )
        ids = [job["id"] for job in added]
        await wait_until(
            pilot,
            lambda: all(i in table.order and cell(app, i, "status") == "completed" for i in ids),
            timeout=60,
            what="every row completed",
        )
        shown = {i: cell(app, i, "node") for i in ids}
        header = table.render_line(0).text
    ran = await fleet.wait_completed(set(ids), timeout=10)
    assert shown == {i: ran[i][0] for i in ids}  # each row names the node that ran it
    assert len(set(shown.values())) > 1  # not only n2's own
    assert "Node" in header
