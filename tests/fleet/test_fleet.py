"""Several idmd on one queue (idmd/fleet/): jobs spread, survive a node's death, end once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.fleet.conftest import Files, Fleet


async def test_jobs_added_on_one_node_are_shared_by_all(fleet: Fleet, files: Files) -> None:
    # 300 files of 64 KiB, each lasting at least 0.2 s: what a node takes depends on its
    # free slots, not on which node pulls first, nor (much) on how busy its machine is: the
    # per-job coordination (a pull, KV writes, the fence) is small beside 0.2 s.
    files.pace = 0.2
    made = files.add(300, 64 * 1024)
    n1 = fleet.node("n1")
    added = await n1.call(
        "jobs.add_many",
        {"items": [{"url": files.url(name), "options": {"connections": 1}} for name in made]},
    )
    ids = {job["id"] for job in added}

    done = await fleet.wait_completed(ids, timeout=120)

    assert set(done) == ids
    assert {
        job_id: nodes for job_id, nodes in done.items() if len(nodes) > 1
    } == {}  # none completed twice
    for name, data in made.items():
        assert (fleet.downloads / name).read_bytes() == data
    share = {
        node.name: sum(1 for nodes in done.values() if nodes == [node.name]) for node in fleet.nodes
    }
    even = len(ids) / len(fleet.nodes)
    assert all(abs(count - even) <= even / 10 for count in share.values()), share
    assert not list(fleet.downloads.glob("*.part"))


async def test_daemon_info_shows_the_fleet_and_its_nodes(fleet: Fleet) -> None:
    n2 = fleet.node("n2")
    async with asyncio.timeout(15):
        while True:
            info = (await n2.call("daemon.info"))["fleet"]
            if [n["node"] for n in info["nodes"] if n["alive"]] == ["n1", "n2", "n3"]:
                break
            await asyncio.sleep(0.2)
    assert info["node"] == "n2" and info["reachable"] is True and info["name"] == "idm"
    assert set(info["nodes"][0]) >= {"node", "alive", "active", "queued", "speed"}


def parts(folder: Path) -> list[Path]:
    return list(folder.glob("*.part"))
