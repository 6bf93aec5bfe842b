"""What a client of one node sees of the fleet: every node's jobs, live, each event with its node."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from tests.fleet.conftest import Files, Fleet


async def test_a_client_of_one_node_sees_every_nodes_jobs_with_their_node(fleet: Fleet, files: Files) -> None:
    files.pace = 0.02
    made = files.add(9, 256 * 1024)
    n2 = fleet.node("n2")
    assert n2.client is not None
    stream = n2.client.subscribe(types=["job.status"])
    assert (await anext(stream))["type"] == "snapshot"
    added = await fleet.node("n1").call("jobs.add_many", {"items": [{"url": files.url(name)} for name in made]})
    ids = {job["id"] for job in added}

    completed: dict[str, str] = {}
    async with asyncio.timeout(60):
        async for event in stream:
            if event["data"]["status"] == "completed" and event["job"] in ids:
                completed[event["job"]] = event["node"]
            if set(completed) == ids:
                break
    await stream.aclose()

    assert set(completed.values()) - {"n2"}, "no job of another node was seen"
    ran = fleet.completed_on()
    assert completed == {job_id: ran[job_id][0] for job_id in ids}  # each event names the node it ran on


def test_the_single_daemon_does_not_import_nats() -> None:
    code = ("import sys, idmd.daemon, idmd.app, idmd.engine, idmd.rpc.server, idmd.fleet, idmd.fleet.record;"
            "idmd.engine.Engine; print('nats' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
