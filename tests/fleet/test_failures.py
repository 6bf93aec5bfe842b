"""The fleet when things break: a node killed mid-download, the NATS server
restarted, a job that always fails."""

from __future__ import annotations

import asyncio
import json

import nats
import pytest

from tests.fleet.conftest import Files, Fleet, NatsServer

MiB = 1024 * 1024


async def add(
    fleet: Fleet, node: str, files: Files, names: list[str], connections: int = 2
) -> set[str]:
    items = [{"url": files.url(name), "options": {"connections": connections}} for name in names]
    added = await fleet.node(node).call("jobs.add_many", {"items": items})
    return {job["id"] for job in added}


async def test_a_killed_nodes_jobs_are_finished_by_the_others_from_its_checkpoint(
    fleet: Fleet, files: Files
) -> None:
    files.pace = 0.2  # about 320 KiB/s per connection: a 3 MiB file takes some 5 s on two
    made = files.add(9, 3 * MiB)
    ids = await add(fleet, "n1", files, list(made))
    victim = fleet.node("n2")
    async with asyncio.timeout(60):  # until n2 holds a job well under way (2 MiB of 3)
        while True:
            held = (await victim.call("daemon.info"))["fleet"]["held"]
            jobs = [await victim.call("jobs.get", {"id": job_id}) for job_id in held]
            under_way = [j for j in jobs if j["status"] == "downloading" and j["done"] >= 2 * MiB]
            if under_way:
                break
            await asyncio.sleep(0.1)
    victim.process.kill()

    done = await fleet.wait_completed(ids, timeout=3 + 30 + 30)

    assert set(done) == ids, "a job was lost"
    assert {job_id: nodes for job_id, nodes in done.items() if len(nodes) > 1} == {}
    for name, data in made.items():
        assert (fleet.downloads / name).read_bytes() == data
    for job in under_way:
        assert done[job["id"]] != ["n2"]
        refetched = files.served[job["filename"]] - 3 * MiB
        # Resumed from n2's last checkpoint (about a second old), not from the start.
        assert refetched < 1.5 * MiB, (job["filename"], refetched)


async def test_a_job_that_always_fails_ends_failed_after_max_deliver(
    fleet: Fleet, files: Files, nats_server: NatsServer
) -> None:
    files.add(1, 64 * 1024, prefix="bad")
    files.broken.add("bad0.bin")
    (job_id,) = await add(fleet, "n1", files, ["bad0.bin"], connections=1)

    async with asyncio.timeout(60):
        record = await fleet_record(nats_server, job_id, until=lambda r: r["status"] == "failed")
        while await queued_messages(nats_server):  # the message is gone from the queue: no loop
            await asyncio.sleep(0.2)

    assert record["attempt"] == 3
    assert "after 3 attempts" in record["error"]["message"]
    assert files.hits["bad0.bin"] == 3
    failed_on = [n.name for n in fleet.nodes if n.history().get(job_id) == "failed"]
    assert failed_on  # each node that tried keeps its attempt in its history
    assert not any(n.history().get(job_id) == "completed" for n in fleet.nodes)


async def test_no_job_is_lost_when_the_nats_server_restarts(
    fleet: Fleet, files: Files, nats_server: NatsServer
) -> None:
    files.pace = 0.05
    first = files.add(12, 1 * MiB)
    ids = await add(fleet, "n1", files, list(first), connections=1)
    async with asyncio.timeout(60):  # mid-run: some done, others running or waiting in the queue
        while len(await asyncio.to_thread(fleet.completed_on)) < 2:
            await asyncio.sleep(0.1)
    nats_server.kill()
    later = files.add(4, 256 * 1024, prefix="later")
    ids |= await add(
        fleet, "n3", files, list(later), connections=1
    )  # added while the server is away
    info = (await fleet.node("n3").call("daemon.info"))["fleet"]
    assert info["reachable"] is False
    nats_server.start()

    done = await fleet.wait_completed(ids, timeout=90)

    assert set(done) == ids, "a job was lost"
    assert {job_id: nodes for job_id, nodes in done.items() if len(nodes) > 1} == {}
    for name, data in {**first, **later}.items():
        assert (fleet.downloads / name).read_bytes() == data
    async with asyncio.timeout(15):  # the nodes reconnected by themselves
        while not (await fleet.node("n3").call("daemon.info"))["fleet"]["reachable"]:
            await asyncio.sleep(0.2)


async def fleet_record(server: NatsServer, job_id: str, until: object) -> dict:
    nc = await nats.connect(server.url)
    try:
        kv = await nc.jetstream().key_value("idm_idm_jobs")
        while True:
            record = json.loads((await kv.get(job_id)).value)
            if until(record):  # type: ignore[operator]
                return record
            await asyncio.sleep(0.2)
    finally:
        await nc.close()


async def queued_messages(server: NatsServer) -> int:
    nc = await nats.connect(server.url)
    try:
        return (await nc.jetstream().stream_info("IDM_idm_JOBS")).state.messages
    finally:
        await nc.close()


async def test_a_stopped_node_hands_its_jobs_back_and_does_not_resume_them_when_it_starts_again(
    fleet: Fleet, files: Files
) -> None:
    files.pace = 0.2
    made = files.add(6, 2 * MiB)
    ids = await add(fleet, "n1", files, list(made))
    n2 = fleet.node("n2")
    async with asyncio.timeout(60):
        while not (held := (await n2.call("daemon.info"))["fleet"]["held"]):
            await asyncio.sleep(0.1)
    assert n2.client is not None
    await n2.client.close()
    assert await asyncio.to_thread(n2.process.stop) == 0  # SIGTERM: a graceful stop

    done = await fleet.wait_completed(ids, timeout=60)

    assert set(done) == ids
    assert all(done[job_id] != ["n2"] for job_id in held)
    await asyncio.to_thread(n2.process.start)  # n2 again: it does not run them a second time
    n2.client = None
    assert not [
        job_id for job_id in held if job_id in n2.history()
    ]  # the fleet's, not n2's any more
    assert {job_id: nodes for job_id, nodes in fleet.completed_on().items() if len(nodes) > 1} == {}


@pytest.mark.fleet_config(max_deliver=1)
async def test_a_job_whose_nodes_die_ends_failed_after_max_deliver_not_stuck(
    fleet: Fleet, files: Files, nats_server: NatsServer
) -> None:
    files.pace = 0.2
    files.add(1, 4 * MiB, prefix="killer")
    (job_id,) = await add(fleet, "n1", files, ["killer0.bin"])
    async with asyncio.timeout(30):  # the node that took it
        while True:
            holders = [
                n for n in fleet.nodes if job_id in (await n.call("daemon.info"))["fleet"]["held"]
            ]
            if holders:
                break
            await asyncio.sleep(0.1)
    holders[0].process.kill()  # as a job that crashes its node would

    async with asyncio.timeout(60):
        record = await fleet_record(
            nats_server, job_id, until=lambda r: r["status"] != "downloading"
        )
        while await queued_messages(nats_server):
            await asyncio.sleep(0.2)

    assert record["status"] == "failed" and record["error"]["code"] == "fleet"
    assert "after 1 deliveries" in record["error"]["message"]
