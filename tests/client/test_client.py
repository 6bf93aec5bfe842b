"""The client library against a toy daemon: discovery, calls, errors, a
subscription that survives a lost connection, and the state UIs show."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from idmd.client import (
    AuthenticationFailed,
    Client,
    ConnectionLost,
    ConnectionStatus,
    DaemonNotRunning,
    State,
)
from idmd.paths import resolve_paths
from idmd.protocol.errors import InvalidParams, NoSuchJob
from idmd.protocol.events import EventType
from idmd.rpc.server import RPC
from tests.rpc.toy import ToyDaemon


def advertise(toy: ToyDaemon, home: Path) -> None:
    """Write daemon.json and the token file the way idmd does."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "daemon.json").write_text(
        json.dumps({"pid": os.getpid(), "url": toy.url, "port": toy.server.port})
    )
    (home / "token").write_text(toy.token + "\n")


@pytest.mark.parametrize("codec", ["msgpack", "json"])
async def test_calls_return_results_and_raise_the_daemons_errors(
    toy: ToyDaemon, codec: str
) -> None:
    async with await Client.connect(toy.url, toy.token, codec=codec) as client:  # type: ignore[arg-type]
        assert client.connected and client.server["server"]["name"] == "idmd"
        job = await client.call("jobs.add", {"url": "http://a.test/f.bin"})
        assert (await client.call("jobs.get", {"id": job["id"]}))["url"] == "http://a.test/f.bin"
        with pytest.raises(NoSuchJob):
            await client.call("jobs.get", {"id": "missing"})
        with pytest.raises(InvalidParams) as info:
            await client.call("jobs.add", {"url": "http://a.test/", "options": {"connections": 0}})
        assert info.value.data == {"param": "options.connections"}
    assert client.status.state is State.DISCONNECTED


async def test_connect_finds_the_daemon_through_daemon_json(toy: ToyDaemon, tmp_path: Path) -> None:
    home = tmp_path / "idm"
    advertise(toy, home)
    client = await Client.connect(paths=resolve_paths({"IDM_HOME": str(home)}))
    assert await client.call("session.ping") == "pong"
    await client.close()


async def test_no_daemon_json_means_daemon_not_running(tmp_path: Path) -> None:
    with pytest.raises(
        DaemonNotRunning, match="idmd is not running: start it with `idmd` or `idm-tui`"
    ):
        await Client.connect(paths=resolve_paths({"IDM_HOME": str(tmp_path)}))


async def test_a_stale_daemon_json_means_daemon_not_running(toy: ToyDaemon, tmp_path: Path) -> None:
    advertise(toy, tmp_path)
    await toy.server.close()  # the port no longer answers
    with pytest.raises(DaemonNotRunning):
        await Client.connect(paths=resolve_paths({"IDM_HOME": str(tmp_path)}))


async def test_a_wrong_token_raises_authentication_failed(toy: ToyDaemon) -> None:
    with pytest.raises(AuthenticationFailed):
        await Client.connect(toy.url, "f" * 64)


async def test_subscribe_yields_a_snapshot_then_events(toy: ToyDaemon) -> None:
    await toy.engine.add("http://a.test/one", {})
    async with await Client.connect(toy.url, toy.token) as client:
        stream = client.subscribe()
        first = await anext(stream)
        assert first["type"] == "snapshot" and [j["id"] for j in first["snapshot"]["jobs"]] == [
            "j1"
        ]
        await client.call("jobs.pause", {"ids": ["j1"]})
        event = await anext(stream)
        assert (event["type"], event["data"]["status"]) == ("job.status", "paused")
        assert client.last_seq == event["seq"]
        await stream.aclose()
    assert toy.listeners() == 0


async def test_after_a_lost_connection_the_subscription_resumes_without_gaps(
    toy: ToyDaemon,
) -> None:
    states: list[ConnectionStatus] = []
    client = await Client.connect(toy.url, toy.token, on_state=states.append)
    stream = client.subscribe()
    assert (await anext(stream))["type"] == "snapshot"
    await toy.engine.add("http://a.test/x", {})
    assert (await anext(stream))["type"] == "job.added"
    for peer in list(toy.app[RPC].peers):
        peer.close(1001, "going away")  # the daemon drops every client
    async with asyncio.timeout(5):
        while client.status.state is not State.RECONNECTING:
            await asyncio.sleep(0.01)
    reconnecting = client.status
    assert reconnecting.retry_in == 1.0 and reconnecting.attempt == 1 and reconnecting.error
    # Critical events while the client is away...
    await toy.engine.pause(["j1"])
    await toy.engine.add("http://a.test/y", {})
    toy.ctx.bus.emit(EventType.JOB_REMOVED, "j0", {})
    items = [await asyncio.wait_for(anext(stream), 10) for _ in range(4)]
    assert items[0]["type"] == "snapshot" and items[0]["reset"] is False
    assert [(i["type"], i["job"]) for i in items[1:]] == [
        ("job.status", "j1"),
        ("job.added", "j2"),
        ("job.removed", "j0"),
    ]
    assert [s.state for s in states] == [State.CONNECTED, State.RECONNECTING, State.CONNECTED]
    await client.close()
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
    with pytest.raises(ConnectionLost):
        await client.call("session.ping")
