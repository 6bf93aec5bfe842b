"""jobs.get and jobs.remove of a job whose node does not answer (frozen here with SIGSTOP):
answered from the fleet's record, and the record purged; the node, when it wakes, stops the
job instead of finishing it."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest

from idmd.client import Client
from idmd.protocol.errors import NoSuchJob
from tests.fleet.conftest import Files, Fleet, NatsServer, Node
from tests.fleet.test_elsewhere import held
from tests.fleet.test_failures import fleet_record
from tests.fleet.test_sweep import until_bucket

MiB = 1024 * 1024


async def holder(fleet: Fleet, job_id: str, done: int) -> Node:
    """The node running ``job_id`` with ``done`` bytes or more fetched."""
    async with asyncio.timeout(30):
        while True:
            for node in fleet.nodes:
                if job_id in await held(node):
                    job = await node.call("jobs.get", {"id": job_id})
                    if job["status"] == "downloading" and job["done"] >= done:
                        return node
            await asyncio.sleep(0.1)


async def settled(node: Node, job_id: str) -> dict[str, Any] | None:
    """``job_id`` on ``node`` once the node let go of it: gone (``None``), or ended with the
    reason in its error."""
    async with asyncio.timeout(30):
        while True:
            if job_id not in await held(node):
                try:
                    job = await node.call("jobs.get", {"id": job_id})
                except NoSuchJob:
                    return None
                if job["error"] is not None:
                    return dict(job)
            await asyncio.sleep(0.1)


# ack_wait: the frozen node keeps its job for the whole test (no other node takes it over).
@pytest.mark.fleet_config(ack_wait=300)
async def test_get_and_remove_of_a_job_whose_node_is_silent_use_the_fleets_record(
    fleet: Fleet, files: Files, nats_server: NatsServer
) -> None:
    files.pace = 0.2
    ((name, data),) = files.add(1, 8 * MiB).items()
    (job,) = await fleet.node("n1").call(
        "jobs.add_many", {"items": [{"url": files.url(name), "options": {"connections": 2}}]}
    )
    job_id = job["id"]
    owner = await holder(fleet, job_id, done=MiB)
    recorded = await asyncio.wait_for(  # the fleet's record has a checkpoint of it
        fleet_record(nats_server, job_id, until=lambda r: r["done"] >= MiB), 10
    )
    asker = next(n for n in fleet.nodes if n is not owner)
    assert owner.process.proc is not None
    owner.process.proc.send_signal(signal.SIGSTOP)
    try:
        got = await asker.call("jobs.get", {"id": job_id})  # after the owner's time to answer

        assert (got["id"], got["status"], got["filename"]) == (job_id, "downloading", name)
        assert recorded["done"] <= got["done"] < len(data)  # the owner's last checkpoint

        await asker.call("jobs.remove", {"ids": [job_id]})

        await until_bucket(nats_server, lambda records, _: job_id not in records)
    finally:
        owner.process.proc.send_signal(signal.SIGCONT)
    assert owner.client is not None
    await owner.client.close()  # (its connection may have timed out while frozen)
    owner.client = await Client.connect(owner.process.url, owner.process.token, reconnect=False)
    # Awake, the owner stops the job: the remove it was sent while frozen reaches it, or
    # first its heartbeat finds the record gone (then the job ends here handed over). While
    # the remove is under way the job reads ``cancelled`` without an error: wait for its end.
    there = await settled(owner, job_id)
    if there is not None:
        assert there["status"] == "cancelled" and there["error"]["code"] == "handed_over"
        assert "removed from the fleet" in there["error"]["message"]
    assert not any(n.history().get(job_id) == "completed" for n in fleet.nodes)
    assert not (fleet.downloads / name).exists()  # never finished
