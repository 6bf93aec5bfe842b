"""What a client of one node sees of the fleet:
every node's jobs, live, each event with its node."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from tests.fleet.conftest import Files, Fleet


async def test_a_client_of_one_node_sees_every_nodes_jobs_with_their_node(
    fleet: Fleet, files: Files
) -> None:
    files.pace = 0.02
    made = files.add(9, 256 * 1024)
    n2 = fleet.node("n2")
    assert n2.client is not None
    stream = n2.client.subscribe(types=["job.status"])
    assert (await anext(stream))["type"] == "snapshot"
    added = await fleet.node("n1").call(
        "jobs.add_many", {"items": [{"url": files.url(name)} for name in made]}
    )
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
    ran = await fleet.wait_completed(ids, timeout=10)  # the histories are written a moment later
    assert completed == {
        job_id: ran[job_id][0] for job_id in ids
    }  # each event names the node it ran on


def test_the_single_daemon_does_not_import_nats() -> None:
    code = (
        "import sys, idmd.daemon, idmd.app, idmd.engine, idmd.rpc.server, idmd.fleet,"
        " idmd.fleet.record;"
        "idmd.engine.Engine; print('nats' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


async def test_a_job_another_node_runs_is_paused_limited_resumed_and_cancelled_through_this_one(
    fleet: Fleet, files: Files
) -> None:
    files.pace = 0.1
    made = files.add(6, 2 * 1024 * 1024)
    n2 = fleet.node("n2")
    assert n2.client is not None
    stream = n2.client.subscribe(types=["job.status"])
    assert (await anext(stream))["type"] == "snapshot"
    added = await fleet.node("n1").call(
        "jobs.add_many", {"items": [{"url": files.url(name)} for name in made]}
    )
    ids = {job["id"] for job in added}
    async with asyncio.timeout(30):  # a job running on another node than n2
        async for event in stream:
            if (
                event["job"] in ids
                and event["data"]["status"] == "downloading"
                and event["node"] != "n2"
            ):
                job_id, owner = event["job"], fleet.node(event["node"])
                break
    await stream.aclose()

    paused = await n2.call("jobs.pause", {"ids": [job_id]})
    limited = await n2.call("jobs.update", {"id": job_id, "patch": {"speed_limit": 100_000}})
    there = await owner.call("jobs.get", {"id": job_id})
    resumed = await n2.call("jobs.resume", {"ids": [job_id]})
    cancelled = await n2.call("jobs.cancel", {"ids": [job_id]})

    assert paused[0]["status"] == "paused" and there["status"] == "paused"
    assert limited["options"]["speed_limit"] == there["options"]["speed_limit"] == 100_000
    assert resumed[0]["status"] in ("queued", "downloading")
    assert cancelled[0]["status"] == "cancelled"
    assert (await owner.call("jobs.get", {"id": job_id}))["status"] == "cancelled"
    others = ids - {job_id}
    done = await fleet.wait_completed(others, timeout=90)
    assert set(done) == others and job_id not in done
