"""The fleet's bucket of job records does not grow for ever: a removed job's record goes at
once, and ended records beyond ``[fleet] keep_ended`` are purged, markers and all."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import nats
import pytest

from tests.fleet.conftest import Files, Fleet, NatsServer

BUCKET = "idm_idm_jobs"


async def bucket(server: NatsServer) -> tuple[dict[str, dict[str, Any]], int]:
    """The records in the fleet's bucket, and how many messages its stream keeps."""
    nc = await nats.connect(server.url)
    try:
        js = nc.jetstream()
        kv = await js.key_value(BUCKET)
        records: dict[str, dict[str, Any]] = {}
        try:
            keys = await kv.keys()
        except nats.js.errors.NoKeysError:
            keys = []
        for key in keys:
            try:
                entry = await kv.get(key)
            except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
                continue  # purged by a node's sweep between the listing and this read
            records[key] = json.loads(entry.value)
        return records, (await js.stream_info(f"KV_{BUCKET}")).state.messages
    finally:
        await nc.close()


async def until_bucket(server: NatsServer, check: Any, timeout: float = 20) -> dict[str, Any]:
    """The bucket's records once ``check(records, messages)`` holds (looked at 5 times a
    second); on a timeout, the error shows the bucket as it was last seen."""
    seen: tuple[dict[str, Any], int] = ({}, 0)
    try:
        async with asyncio.timeout(timeout):
            while True:
                seen = await bucket(server)
                if check(*seen):
                    return seen[0]
                await asyncio.sleep(0.2)
    except TimeoutError:
        records = {key: (r["status"], r["owner"]) for key, r in seen[0].items()}
        raise AssertionError(f"the bucket stayed {records}, {seen[1]} messages") from None


async def test_a_removed_job_leaves_no_record_in_the_bucket(
    fleet: Fleet, files: Files, nats_server: NatsServer
) -> None:
    made = files.add(3, 64 * 1024)
    added = await fleet.node("n1").call(
        "jobs.add_many", {"items": [{"url": files.url(name)} for name in made]}
    )
    ids = {job["id"] for job in added}
    done = await fleet.wait_completed(ids, timeout=30)
    assert set(done) == ids
    gone = min(ids)
    asker = next(n for n in fleet.nodes if n.name not in done[gone])  # not the node that ran it

    await asker.call("jobs.remove", {"ids": [gone]})

    records = await until_bucket(
        nats_server, lambda records, messages: gone not in records and messages == len(records)
    )
    assert set(records) == ids - {gone}  # the others' records stay (keep_ended: 1000)
    assert gone not in fleet.node(done[gone][0]).history()


@pytest.mark.fleet_config(keep_ended=2)
async def test_ended_records_beyond_keep_ended_are_purged_oldest_first(
    fleet: Fleet, files: Files, nats_server: NatsServer
) -> None:
    made = files.add(6, 64 * 1024)
    bad = min(made)
    files.broken.add(bad)  # a failed job's record is an ended one too
    n1 = fleet.node("n1")
    first = await n1.call("jobs.add_many", {"items": [{"url": files.url(n)} for n in made]})
    good = {job["id"] for job in first if job["url"] != files.url(bad)}
    assert set(await fleet.wait_completed(good, timeout=60)) == good
    await until_bucket(  # the failed one too has ended (after its max_deliver attempts)
        nats_server,
        lambda records, _: all(r["status"] in ("completed", "failed") for r in records.values()),
        timeout=30,
    )
    last = files.add(2, 64 * 1024, prefix="last")
    second = await n1.call("jobs.add_many", {"items": [{"url": files.url(n)} for n in last]})
    newest = {job["id"] for job in second}

    records = await until_bucket(
        nats_server,
        lambda records, messages: set(records) == newest and messages == 2,
        timeout=30,
    )

    assert {r["status"] for r in records.values()} == {"completed"}
    for name, data in last.items():
        assert (fleet.downloads / name).read_bytes() == data


AGE = 10.0  # seconds: keep_ended_days in the test below


@pytest.mark.fleet_config(keep_ended_days=AGE / 86400)
async def test_ended_records_older_than_keep_ended_days_are_purged(
    fleet: Fleet, files: Files, nats_server: NatsServer
) -> None:
    n1 = fleet.node("n1")
    made = files.add(2, 64 * 1024)
    first = await n1.call("jobs.add_many", {"items": [{"url": files.url(n)} for n in made]})
    old = {job["id"] for job in first}
    assert set(await fleet.wait_completed(old, timeout=30)) == old
    ended = time.time()  # their records were written before now
    records = await until_bucket(nats_server, lambda records, _: set(records) == old)
    assert {r["status"] for r in records.values()} == {"completed"}  # young: kept (1000 by count)
    await asyncio.sleep(max(0.0, ended + AGE - time.time()))  # they grow older than the limit
    last = files.add(1, 64 * 1024, prefix="last")
    (job,) = await n1.call("jobs.add_many", {"items": [{"url": files.url(n)} for n in last]})

    records = await until_bucket(  # its end wakes a sweep: the old records go, it stays
        nats_server, lambda records, messages: set(records) == {job["id"]} and messages == 1
    )

    assert records[job["id"]]["status"] == "completed"
