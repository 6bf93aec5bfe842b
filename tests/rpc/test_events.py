"""Subscriptions over the WebSocket: snapshot, replay, live, slow clients, cleanup."""

from __future__ import annotations

import asyncio
import time

import pytest

from idmd.protocol.events import EventType
from idmd.rpc.server import FRAMES, RPC
from tests.rpc.toy import ToyDaemon, start_toy_daemon
from tests.rpc.wsutil import connect


async def wait_for(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_subscribe_gives_a_snapshot_then_live_events(toy: ToyDaemon) -> None:
    await toy.engine.add("http://a.test/one", {})
    peer = await connect(toy.url, token=toy.token)
    result = (await peer.call("events.subscribe", {}))["result"]
    assert result["reset"] is True
    assert [j["id"] for j in result["snapshot"]["jobs"]] == ["j1"]
    assert result["snapshot"]["stats"]["queued"] == 1
    await toy.engine.add("http://a.test/two", {})
    event = await peer.next_event()
    assert (
        event["type"] == "job.added" and event["job"] == "j2" and event["seq"] == result["seq"] + 1
    )
    assert isinstance(event["at"], float)
    await peer.close()


async def test_since_replays_retained_events_before_live_ones(toy: ToyDaemon) -> None:
    for name in "abc":
        await toy.engine.add(f"http://a.test/{name}", {})
    peer = await connect(toy.url, token=toy.token)
    result = (await peer.call("events.subscribe", {"since": 1}))["result"]
    assert result["reset"] is False
    await toy.engine.pause(["j1"])
    seqs = [(await peer.next_event())["seq"] for _ in range(3)]
    assert seqs == [2, 3, 4]
    await peer.close()


async def test_since_older_than_the_retention_says_reset(tmp_path) -> None:  # type: ignore[no-untyped-def]
    toy = await start_toy_daemon(tmp_path)
    try:
        for _ in range(4100):
            toy.ctx.bus.emit(EventType.JOB_LOG, "j", {"level": "info", "message": "x"})
        peer = await connect(toy.url, token=toy.token)
        result = (await peer.call("events.subscribe", {"since": 1, "types": ["job.status"]}))[
            "result"
        ]
        assert result["reset"] is True
        await peer.close()
    finally:
        await toy.server.close()


async def test_reconnecting_with_the_last_seq_misses_no_critical_event(toy: ToyDaemon) -> None:
    peer = await connect(toy.url, token=toy.token)
    await peer.call("events.subscribe", {})
    await toy.engine.add("http://a.test/x", {})
    last = (await peer.next_event())["seq"]
    await peer.close()
    await wait_for(lambda: toy.listeners() == 0)
    # While nobody listens, the job changes state several times.
    await toy.engine.pause(["j1"])
    await toy.engine.resume(["j1"])
    await toy.engine.add("http://a.test/y", {})
    await toy.engine.cancel(["j2"])
    peer = await connect(toy.url, "msgpack", token=toy.token)
    result = (await peer.call("events.subscribe", {"since": last}))["result"]
    assert result["reset"] is False
    got = [await peer.next_event() for _ in range(4)]
    assert [(e["type"], e["job"]) for e in got] == [
        ("job.status", "j1"),
        ("job.status", "j1"),
        ("job.added", "j2"),
        ("job.status", "j2"),
    ]
    assert [e["data"].get("status") for e in got if e["type"] == "job.status"] == [
        "paused",
        "queued",
        "cancelled",
    ]
    await peer.close()


async def test_progress_keeps_segments_only_for_detail_jobs(toy: ToyDaemon) -> None:
    await toy.engine.add("http://a.test/x", {})
    plain = await connect(toy.url, token=toy.token)
    await plain.call("events.subscribe", {"types": ["job.progress"]})
    detailed = await connect(toy.url, token=toy.token)
    await detailed.call("events.subscribe", {"types": ["job.progress"], "detail": ["j1"]})
    toy.engine.progress("j1", 50, [[0, 100, 50]])
    assert "segments" not in (await plain.next_event())["data"]
    assert (await detailed.next_event())["data"]["segments"] == [[0, 100, 50]]
    await plain.close()
    await detailed.close()


async def test_jobs_filter_limits_the_snapshot_and_events(toy: ToyDaemon) -> None:
    await toy.engine.add("http://a.test/x", {})
    await toy.engine.add("http://a.test/y", {})
    peer = await connect(toy.url, token=toy.token)
    result = (await peer.call("events.subscribe", {"jobs": ["j2"]}))["result"]
    assert [j["id"] for j in result["snapshot"]["jobs"]] == ["j2"]
    await toy.engine.pause(["j1"])
    await toy.engine.pause(["j2"])
    event = await peer.next_event()
    assert event["job"] == "j2"
    await peer.close()


async def test_no_listener_is_left_behind_after_disconnects(toy: ToyDaemon) -> None:
    peers = [await connect(toy.url, codec, token=toy.token) for codec in ("json", "msgpack") * 5]
    for peer in peers:
        await peer.call("events.subscribe", {})
    assert (
        toy.listeners() == 1 and len(toy.app[RPC].hub.peers) == 10
    )  # one bus listener fans out to all
    await peers[0].call("events.unsubscribe")
    for peer in peers[1:5]:
        await peer.close()
    for peer in peers[5:]:
        # a crash, no close frame
        peer.ws._response.connection.transport.abort()  # type: ignore[union-attr]
        await peer.session.close()
    await peers[0].close()
    await wait_for(lambda: toy.listeners() == 0 and toy.peers() == 0 and not toy.app[RPC].hub.peers)


async def test_each_event_is_encoded_once_per_codec(toy: ToyDaemon) -> None:
    peers = [
        await connect(toy.url, codec, token=toy.token) for codec in ("json",) * 5 + ("msgpack",) * 5
    ]
    for peer in peers:
        await peer.call("events.subscribe", {"types": ["job.added"]})
    frames = toy.app[FRAMES]
    before = frames.encoded
    await toy.engine.add("http://a.test/x", {})
    for peer in peers:
        assert (await peer.next_event())["job"] == "j1"
    assert frames.encoded - before == 2
    for peer in peers:
        await peer.close()


async def test_a_client_that_stops_reading_slows_neither_the_engine_nor_others(tmp_path) -> None:  # type: ignore[no-untyped-def]
    toy = await start_toy_daemon(tmp_path, queue_limit=64)
    try:
        stuck = await connect(toy.url, token=toy.token)
        await stuck.call("events.subscribe", {})
        reader = await connect(toy.url, token=toy.token)
        await reader.call("events.subscribe", {"types": ["job.added"]})
        # ``stuck`` never reads again. The engine emits 3000 critical events of
        # ~8 KiB in bursts of 30: far more than socket buffers plus a 64-event
        # queue hold; the other client keeps up with every burst.
        got: list[dict] = []

        async def read() -> None:
            while True:
                got.append(await reader.next_event(timeout=20))

        reading = asyncio.create_task(read())
        emit_time = 0.0
        for burst in range(100):
            started = time.perf_counter()
            for i in range(burst * 30, burst * 30 + 30):
                toy.ctx.bus.emit(EventType.JOB_ADDED, f"k{i}", {"pad": "x" * 8000})
            emit_time += time.perf_counter() - started
            await wait_for(lambda n=burst * 30 + 30: len(got) >= n)  # type: ignore[misc]
        reading.cancel()
        assert [e["job"] for e in got] == [f"k{i}" for i in range(3000)]
        # The stuck client is dropped with 4408 once critical events would be lost...
        await wait_for(lambda: toy.peers() == 1, timeout=15)
        assert await stuck.closed_with(timeout=15) == 4408
        await stuck.close()
        await reader.close()
        await wait_for(lambda: toy.listeners() == 0)
        assert emit_time < 5  # a generous bound: emitting never waited on a socket
    finally:
        await toy.server.close()


async def test_progress_for_a_slow_client_is_coalesced_not_queued(tmp_path) -> None:  # type: ignore[no-untyped-def]
    toy = await start_toy_daemon(tmp_path, queue_limit=16)
    try:
        peer = await connect(toy.url, token=toy.token)
        await peer.call("events.subscribe", {"types": ["job.progress", "job.status"]})
        toy.ctx.bus.emit(EventType.JOB_STATUS, "j1", {"status": "downloading", "error": None})
        for done in range(5000):
            toy.engine.progress("j1", done)
        toy.ctx.bus.emit(EventType.JOB_STATUS, "j1", {"status": "completed", "error": None})
        events = []
        async with asyncio.timeout(5):
            while (
                not events
                or events[-1]["type"] != "job.status"
                or events[-1]["data"]["status"] != "completed"
            ):
                events.append(await peer.next_event())
        progress = [e for e in events if e["type"] == "job.progress"]
        assert len(progress) < 100  # not a backlog of 5000
        assert progress[-1]["data"]["done"] == 4999  # and the numbers are the latest
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(seqs)
        await peer.close()
    finally:
        await toy.server.close()


@pytest.mark.parametrize("how", ["header", "query"])
async def test_the_sse_mirror_streams_the_same_events(toy: ToyDaemon, how: str) -> None:
    import aiohttp

    await toy.engine.add("http://a.test/x", {})
    headers = {"Authorization": f"Bearer {toy.token}"}
    url = f"{toy.http}/events"
    if how == "header":
        headers["Last-Event-ID"] = "0"
    else:
        url += "?since=0"
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        lines: list[str] = []
        async with asyncio.timeout(5):
            while "event: job.status" not in lines:
                if (
                    lines.count("event: job.added") == 1
                    and toy.engine.jobs["j1"]["status"] != "paused"
                ):
                    await toy.engine.pause(["j1"])
                lines.append((await response.content.readline()).decode().rstrip("\n"))
        assert lines[0] == "event: snapshot"
        assert "id: 1" in lines and "event: job.added" in lines and "event: job.status" in lines


async def test_the_sse_mirror_needs_the_token(toy: ToyDaemon) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.get(f"{toy.http}/events") as response:
            assert response.status == 401
        async with session.get(
            f"{toy.http}/events", headers={"Authorization": "Bearer wrong"}
        ) as response:
            assert response.status == 401
        async with session.get(
            f"{toy.http}/events",
            headers={"Origin": "https://evil.example", "Authorization": f"Bearer {toy.token}"},
        ) as response:
            assert response.status == 403


@pytest.mark.parametrize("codec", ["json", "msgpack"])
async def test_batch_subscribers_get_waiting_events_in_one_array_frame(
    toy: ToyDaemon, codec: str
) -> None:
    peer = await connect(toy.url, codec, token=toy.token)
    await peer.call("events.subscribe", {"types": ["job.log"], "batch": True})
    for i in range(20):  # emitted together: they wait together
        toy.ctx.bus.emit(EventType.JOB_LOG, f"j{i}", {"level": "info", "message": str(i)})
    frame = await peer.recv()
    assert isinstance(frame, list) and len(frame) == 20
    assert [m["params"]["job"] for m in frame] == [f"j{i}" for i in range(20)]
    assert all(m["method"] == "event" and m["jsonrpc"] == "2.0" for m in frame)
    await peer.close()
