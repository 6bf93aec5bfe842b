"""Issue 11 points 3, 6 and 8 at the protocol edge: every reply is strict JSON
(no NaN, no lone surrogate), numbers that have no exact value are refused
-32602, invalid requests always get an answer, frames up to 1 MiB are taken,
batches and replies are bounded, wrong tokens are slowed down globally."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from idmd.protocol import MAX_BATCH_REQUESTS, MAX_FRAME, MAX_REPLY
from idmd.rpc.replies import encode_reply
from tests.rpc.toy import ToyDaemon
from tests.rpc.wsutil import RawPeer, connect, strict_json


async def raw(peer: RawPeer, frame: str) -> Any:
    await peer.ws.send_str(frame)
    msg = await peer.ws.receive(5)
    return strict_json(msg.data)


@pytest.mark.parametrize("request_id", ["NaN", "Infinity", "-Infinity", "1e400", "1" + "0" * 30])
async def test_an_id_without_an_exact_value_is_refused_not_echoed(
    toy: ToyDaemon, request_id: str
) -> None:
    peer = await connect(toy.url, token=toy.token)
    try:
        reply = await raw(peer, f'{{"jsonrpc":"2.0","id":{request_id},"method":"session.ping"}}')
        assert reply["error"]["code"] == -32600 and reply["id"] is None
    finally:
        await peer.close()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("stall_timeout", "NaN"),
        ("stall_timeout", '"nan"'),
        ("stall_timeout", '"inf"'),
        ("stall_timeout", "1e400"),
        ("speed_limit", "1" + "0" * 400),
        ("speed_limit", str(1 << 62)),
        ("retries", "-Infinity"),
    ],
)
async def test_config_set_refuses_non_finite_and_huge_numbers(
    toy: ToyDaemon, key: str, value: str
) -> None:
    peer = await connect(toy.url, token=toy.token)
    try:
        before = (await peer.call("config.get"))["result"]
        reply = await raw(
            peer,
            f'{{"jsonrpc":"2.0","id":1,"method":"config.set",'
            f'"params":{{"patch":{{"{key}":{value}}}}}}}',
        )
        assert reply["error"]["code"] == -32602, reply
        assert (await peer.call("config.get"))["result"] == before
    finally:
        await peer.close()


async def test_a_nan_in_job_options_is_refused_naming_it(toy: ToyDaemon) -> None:
    peer = await connect(toy.url, token=toy.token)
    try:
        reply = await raw(
            peer,
            '{"jsonrpc":"2.0","id":1,"method":"jobs.add","params":'
            '{"url":"http://h/x","options":{"connections":NaN}}}',
        )
        assert (
            reply["error"]["code"] == -32602
            and reply["error"]["data"]["param"] == "options.connections"
        )
    finally:
        await peer.close()


async def test_a_reply_holding_nan_or_a_lone_surrogate_is_an_internal_error_for_its_own_id() -> (
    None
):
    for bad in (float("nan"), "x\udcff"):
        frame = await encode_reply(
            "json",
            [
                {"jsonrpc": "2.0", "id": 7, "result": bad},
                {"jsonrpc": "2.0", "id": 8, "result": "fine"},
            ],
        )
        replies = strict_json(frame)  # type: ignore[arg-type]
        assert replies[0] == {
            "jsonrpc": "2.0",
            "id": 7,
            "error": {"code": -32603, "message": "the reply could not be encoded"},
        }
        assert replies[1]["result"] == "fine"


async def test_a_malformed_url_is_invalid_params(toy: ToyDaemon) -> None:
    peer = await connect(toy.url, token=toy.token)
    try:
        for url in ("http://[::1/", "http://h:99999999/x"):
            reply = await peer.call("jobs.add", {"url": url})
            assert reply["error"]["code"] == -32602, reply
    finally:
        await peer.close()


async def test_invalid_requests_without_an_id_get_an_error_with_id_null(toy: ToyDaemon) -> None:
    peer = await connect(toy.url, token=toy.token)
    try:
        for frame in (
            '{"jsonrpc":"1.0","method":"session.ping"}',
            '{"jsonrpc":"2.0","method":5}',
            '{"jsonrpc":"2.0","method":"session.ping","params":3}',
        ):
            reply = await raw(peer, frame)
            assert reply["error"]["code"] == -32600 and reply["id"] is None, reply
        await peer.send(
            {"jsonrpc": "2.0", "method": "session.ping"}
        )  # a valid notification: no reply
        assert (await peer.call("session.ping"))["result"] == "pong"
    finally:
        await peer.close()


async def test_a_frame_of_exactly_one_mib_is_taken(toy: ToyDaemon) -> None:
    peer = await connect(toy.url, token=toy.token)
    try:
        head = '{"jsonrpc":"2.0","id":1,"method":"session.ping","params":{"x":"'
        frame = head + "x" * (MAX_FRAME - len(head) - 3) + '"}}'
        assert len(frame) == MAX_FRAME
        reply = await raw(peer, frame)
        assert reply["error"]["code"] == -32602  # an unknown parameter, but an answer
    finally:
        await peer.close()


async def test_a_long_batch_is_refused_and_a_short_one_lets_others_through(toy: ToyDaemon) -> None:
    peer = await connect(toy.url, token=toy.token)
    try:
        too_long = [
            {"jsonrpc": "2.0", "id": i, "method": "daemon.info"}
            for i in range(MAX_BATCH_REQUESTS + 1)
        ]
        await peer.send(too_long)
        reply = await peer.recv()
        assert reply["error"]["code"] == -32600 and "at most" in reply["error"]["message"]
        await peer.send(too_long[:MAX_BATCH_REQUESTS])
        assert len(await peer.recv()) == MAX_BATCH_REQUESTS
    finally:
        await peer.close()


async def test_a_reply_never_grows_past_the_cap() -> None:
    big = "x" * (MAX_REPLY // 3)
    replies = [{"jsonrpc": "2.0", "id": i, "result": big} for i in range(5)]
    frame = await encode_reply("json", replies)
    assert len(frame.encode()) <= MAX_REPLY  # type: ignore[union-attr]
    decoded = strict_json(frame)  # type: ignore[arg-type]
    assert [r.get("error", {}).get("code") for r in decoded] == [None, None, -32011, -32011, -32011]


async def test_wrong_tokens_are_slowed_down_across_connections(toy: ToyDaemon) -> None:
    delay = 0.05  # the toy daemon's wrong_token_delay
    peers = [await connect(toy.url) for _ in range(20)]
    try:
        start = time.monotonic()
        replies = await asyncio.gather(
            *(p.call("session.hello", {"token": "wrong"}, timeout=10) for p in peers)
        )
        elapsed = time.monotonic() - start
        assert all(r["error"]["code"] == -32001 for r in replies)
        assert elapsed >= 20 * delay * 0.9  # one failure at a time, not 20 in parallel
    finally:
        for p in peers:
            await p.session.close()


async def test_the_number_of_jobs_is_capped(
    toy: ToyDaemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    from idmd.rpc import jobs

    monkeypatch.setattr(jobs, "MAX_JOBS", 3)
    peer = await connect(toy.url, token=toy.token)
    try:
        many = await peer.call(
            "jobs.add_many", {"items": [{"url": f"http://h/{i}"} for i in range(3)]}
        )
        assert len(many["result"]) == 3
        reply = await peer.call("jobs.add", {"url": "http://h/4"})
        assert reply["error"]["code"] == -32011
        reply = await peer.call("jobs.add_many", {"items": [{"url": "http://h/5"}]})
        assert reply["error"]["code"] == -32011
    finally:
        await peer.close()


async def test_a_batch_whose_reply_is_full_runs_no_more_requests(toy: ToyDaemon) -> None:
    # A batch of heavy reads must not make the daemon do work whose replies it then refuses
    # (building them all held 100,000 job dicts at once: long garbage-collector pauses).
    peer = await connect(toy.url, token=toy.token, max_msg_size=8 << 20)
    try:
        long_url = "http://h/" + "x" * 8000
        for part in range(3):  # about 2.4 MB for each jobs.list below (URL and name 8 KB each)
            items = [{"url": f"{long_url}{part}-{i}"} for i in range(50)]
            added = await peer.call("jobs.add_many", {"items": items})
            assert len(added["result"]) == 50
        heavy = {"jsonrpc": "2.0", "method": "jobs.list", "params": {"limit": 1000}}
        batch = [dict(heavy, id=i) for i in range(3)]
        batch += [
            {
                "jsonrpc": "2.0",
                "id": 10 + i,
                "method": "jobs.add",
                "params": {"url": f"http://h/late{i}"},
            }
            for i in range(3)
        ]
        await peer.send(batch)
        replies = await peer.recv(timeout=30)
        codes = [r.get("error", {}).get("code") for r in replies]
        assert codes == [None, -32011, -32011, -32011, -32011, -32011], codes
        listed = await peer.call("jobs.list", {"limit": 1})
        assert listed["result"]["total"] == 150  # the late jobs.add were refused without running
    finally:
        await peer.close()
