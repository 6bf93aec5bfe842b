"""jobs.get, jobs.retry and jobs.remove through one node for a job another node holds: the
holder answers, as if the job were local."""

from __future__ import annotations

import asyncio

import pytest

from idmd.protocol.errors import NoSuchJob
from tests.fleet.conftest import Files, Fleet, NatsServer, Node
from tests.fleet.test_failures import fleet_record
from tests.fleet.test_sweep import until_bucket

MiB = 1024 * 1024


async def running_elsewhere(
    fleet: Fleet, asker: Node, ids: set[str], done: int = 1
) -> tuple[str, Node]:
    """A job of ``ids`` downloading on another node than ``asker``, ``done`` bytes or more
    fetched, and that node."""
    assert asker.client is not None
    async with asyncio.timeout(30):
        while True:
            for node in fleet.nodes:
                if node is asker:
                    continue
                for job_id in (await node.call("daemon.info"))["fleet"]["held"]:
                    if job_id in ids:
                        job = await node.call("jobs.get", {"id": job_id})
                        if job["status"] == "downloading" and job["done"] >= done:
                            return job_id, node
            await asyncio.sleep(0.1)


async def test_get_and_remove_of_a_job_another_node_runs_are_answered_by_it(
    fleet: Fleet, files: Files, nats_server: NatsServer
) -> None:
    files.pace = 0.1
    made = files.add(6, 2 * MiB)
    n2 = fleet.node("n2")
    added = await fleet.node("n1").call(
        "jobs.add_many", {"items": [{"url": files.url(name)} for name in made]}
    )
    ids = {job["id"] for job in added}
    job_id, owner = await running_elsewhere(fleet, n2, ids)

    got = await n2.call("jobs.get", {"id": job_id})
    there = await owner.call("jobs.get", {"id": job_id})
    assert got["id"] == job_id and got["status"] == "downloading"
    assert got["filename"] == there["filename"] and got["done"] > 0

    await n2.call("jobs.remove", {"ids": [job_id], "delete_files": True})

    with pytest.raises(NoSuchJob):  # gone from the node that ran it
        await owner.call("jobs.get", {"id": job_id})
    assert job_id not in owner.history()
    assert not (fleet.downloads / (got["filename"] + ".part")).exists()
    await until_bucket(nats_server, lambda records, _: job_id not in records)  # nor in the fleet
    others = ids - {job_id}
    done = await fleet.wait_completed(others, timeout=90)
    assert set(done) == others and job_id not in done


@pytest.mark.fleet_config(max_deliver=1)
async def test_retry_of_a_job_that_failed_on_another_node_runs_it_there(
    fleet: Fleet, files: Files
) -> None:
    files.add(1, 256 * 1024, prefix="flaky")
    files.broken.add("flaky0.bin")
    (job,) = await fleet.node("n1").call(
        "jobs.add_many", {"items": [{"url": files.url("flaky0.bin")}]}
    )
    job_id = job["id"]
    async with asyncio.timeout(30):
        while not (failed_on := [n for n in fleet.nodes if n.history().get(job_id) == "failed"]):
            await asyncio.sleep(0.1)
    (owner,) = failed_on
    asker = next(n for n in fleet.nodes if n is not owner)

    got = await asker.call("jobs.get", {"id": job_id})
    assert got["status"] == "failed" and got["error"]["code"] == "http"

    files.broken.discard("flaky0.bin")  # the server is fixed: a retry succeeds
    (retried,) = await asker.call("jobs.retry", {"ids": [job_id]})

    assert retried["id"] == job_id and retried["status"] in ("queued", "downloading")
    done = await fleet.wait_completed({job_id}, timeout=30)
    assert done[job_id] == [owner.name]  # run again by the node that had it
    assert (fleet.downloads / "flaky0.bin").read_bytes() == files.data["flaky0.bin"]


async def test_a_paused_job_whose_node_dies_stays_paused_on_the_node_that_takes_it(
    fleet: Fleet, files: Files, nats_server: NatsServer
) -> None:
    files.pace = 0.2
    made = files.add(4, 3 * MiB)
    n1 = fleet.node("n1")
    added = await n1.call("jobs.add_many", {"items": [{"url": files.url(name)} for name in made]})
    ids = {job["id"] for job in added}
    job_id, victim = await running_elsewhere(fleet, n1, ids, done=MiB)
    (paused,) = await n1.call("jobs.pause", {"ids": [job_id]})
    assert paused["status"] == "paused"
    async with asyncio.timeout(10):  # the record has the pause and its checkpoint
        await fleet_record(
            nats_server, job_id, until=lambda r: r["paused"] and r["done"] == paused["done"]
        )
    victim.process.kill()

    others = [n for n in fleet.nodes if n is not victim]
    async with asyncio.timeout(3 + 30):  # ack_wait, then another node takes it
        while not (taker := [n for n in others if job_id in await held(n)]):
            await asyncio.sleep(0.1)
    (heir,) = taker
    there = await heir.call("jobs.get", {"id": job_id})
    assert there["status"] == "paused"  # taken over, not run
    served = files.served[there["filename"]]

    (resumed,) = await n1.call("jobs.resume", {"ids": [job_id]})  # through any node

    assert resumed["status"] in ("queued", "downloading")
    done = await fleet.wait_completed(ids, timeout=60)
    assert done[job_id] == [heir.name]
    assert (fleet.downloads / there["filename"]).read_bytes() == made[there["filename"]]
    refetched = files.served[there["filename"]] - served - (3 * MiB - paused["done"])
    # Resumed where the pause left it: starting over would fetch the paused["done"] bytes
    # (1 MiB or more) again. What is allowed: the endgame's duplicate of a slow tail, the
    # overlap checks, and what the server wrote into a socket that was then closed (counted
    # as served, never read): about 270 KiB once in CI.
    assert refetched < paused["done"] // 2


async def held(node: Node) -> list[str]:
    return list((await node.call("daemon.info"))["fleet"]["held"])
