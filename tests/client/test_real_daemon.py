"""The client library against a real idmd: a real download's events, and a
daemon restart (new port) that the subscription survives."""

from __future__ import annotations

import asyncio

import pytest

from idmd.client import Client, State
from tests.cli.conftest import PAYLOAD, Files
from tests.daemon_process import DaemonProcess
from tests.rpc.wsutil import connect


async def test_a_download_is_seen_from_added_to_completed(
    daemon: DaemonProcess, files: Files
) -> None:
    async with await Client.connect(daemon.url, daemon.token) as client:
        stream = client.subscribe(types=["job.added", "job.status", "job.progress"])
        assert (await anext(stream))["type"] == "snapshot"
        job = await client.call(
            "jobs.add", {"url": files.url("/file.bin"), "options": {"connections": 2}}
        )
        seen = []
        async with asyncio.timeout(30):
            async for event in stream:
                if event["job"] == job["id"]:
                    seen.append(event)
                if event["type"] == "job.status" and event["data"]["status"] in (
                    "completed",
                    "failed",
                ):
                    break
        kinds = [e["type"] for e in seen]
        assert kinds[0] == "job.added"
        statuses = [e["data"]["status"] for e in seen if e["type"] == "job.status"]
        assert statuses[-1] == "completed" and "downloading" in statuses
        assert [e["seq"] for e in seen] == sorted(e["seq"] for e in seen)
        assert (daemon.download_dir / "file.bin").read_bytes() == PAYLOAD
        await stream.aclose()


async def test_guards_on_the_real_daemon(daemon: DaemonProcess) -> None:
    import aiohttp

    for headers in ({"Origin": "https://example.com"}, {"Host": f"evil.test:{daemon.port}"}):
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await connect(daemon.url, headers=headers)
        assert info.value.status == 403
    json_peer = await connect(daemon.url, "json", token=daemon.token)
    msgpack_peer = await connect(daemon.url, "msgpack", token=daemon.token)
    for method in ("config.get", "jobs.list"):
        assert (await json_peer.call(method))["result"] == (await msgpack_peer.call(method))[
            "result"
        ]
    await json_peer.close()
    await msgpack_peer.close()


async def test_the_subscription_survives_a_daemon_restart(daemon: DaemonProcess) -> None:
    states = []
    client = await Client.connect(on_state=lambda s: states.append(s.state))  # through daemon.json
    stream = client.subscribe()
    assert (await anext(stream))["type"] == "snapshot"
    await asyncio.to_thread(daemon.stop)
    await asyncio.to_thread(
        daemon.start
    )  # a new port: the client finds it through daemon.json again
    item = await asyncio.wait_for(anext(stream), 30)
    assert (
        item["type"] == "snapshot" and item["reset"] is True
    )  # a new daemon: its seqs start again
    assert State.RECONNECTING in states and states[-1] is State.CONNECTED
    job = await client.call(
        "jobs.add", {"url": "http://127.0.0.1:9/x.bin", "options": {"start": "paused"}}
    )
    async with asyncio.timeout(10):
        async for event in stream:
            if event["type"] == "job.added":
                break
    assert event["job"] == job["id"]
    await client.close()
