"""The WebSocket endpoint against a toy engine: auth, guards, codecs, errors, limits."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from idmd.rpc import connection
from tests.rpc.cases import check_parameter_errors
from tests.rpc.toy import ToyDaemon
from tests.rpc.wsutil import connect


async def test_methods_need_authentication_and_the_connection_closes(toy: ToyDaemon) -> None:
    peer = await connect(toy.url)
    reply = await peer.call("jobs.list", {})
    assert reply["error"]["code"] == -32001
    assert await peer.closed_with() == 4401
    await peer.close()


async def test_a_wrong_token_is_refused_and_closes(toy: ToyDaemon) -> None:
    peer = await connect(toy.url)
    reply = await peer.call("session.hello", {"token": "0" * 64, "client": {"name": "x"}})
    assert reply["error"]["code"] == -32001
    assert await peer.closed_with() == 4401
    await peer.close()


async def test_hello_with_the_token_then_calls_work(toy: ToyDaemon) -> None:
    peer = await connect(toy.url)
    hello = await peer.call(
        "session.hello", {"token": toy.token, "client": {"name": "t", "version": "1"}}
    )
    assert hello["result"]["server"]["protocol"] == 1
    assert (await peer.call("session.ping"))["result"] == "pong"
    assert (await peer.call("jobs.list", {}))["result"]["total"] == 0
    await peer.close()


async def test_a_bearer_header_authenticates_and_a_wrong_one_gets_401(toy: ToyDaemon) -> None:
    peer = await connect(toy.url, headers={"Authorization": f"Bearer {toy.token}"})
    assert "result" in await peer.call("daemon.info")
    await peer.close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await connect(toy.url, headers={"Authorization": "Bearer nope"})
    assert info.value.status == 401


async def test_no_hello_within_the_timeout_closes_4401(
    toy: ToyDaemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "HELLO_TIMEOUT", 0.2)
    peer = await connect(toy.url)
    assert await peer.closed_with() == 4401
    await peer.close()


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1:1234", "null"])
async def test_a_web_page_origin_is_refused_before_the_upgrade(toy: ToyDaemon, origin: str) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await connect(toy.url, headers={"Origin": origin})
    assert info.value.status == 403


@pytest.mark.parametrize(
    "origin",
    [
        "chrome-extension://abcdefghijklmnopabcdefghijklmnop",
        "moz-extension://0f3c1e2a-5b6d-4c7e-8f90-123456789abc",
    ],
)
async def test_extension_origins_are_allowed(toy: ToyDaemon, origin: str) -> None:
    peer = await connect(toy.url, token=toy.token, headers={"Origin": origin})
    await peer.close()


@pytest.mark.parametrize(
    "host", ["evil.example:{port}", "127.0.0.1:1", "localhost", "attacker.localhost:{port}"]
)
async def test_a_dns_rebinding_host_is_refused(toy: ToyDaemon, host: str) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await connect(toy.url, headers={"Host": host.format(port=toy.server.port)})
    assert info.value.status == 403


@pytest.mark.parametrize("host", ["localhost:{port}", "[::1]:{port}"])
async def test_loopback_host_names_are_allowed(toy: ToyDaemon, host: str) -> None:
    peer = await connect(
        toy.url, token=toy.token, headers={"Host": host.format(port=toy.server.port)}
    )
    await peer.close()


async def test_msgpack_and_json_give_the_same_answers(toy: ToyDaemon) -> None:
    await toy.engine.add("http://example.com/a.bin", {})
    answers = []
    for codec in ("json", "msgpack"):
        peer = await connect(toy.url, codec, token=toy.token)
        assert peer.ws.protocol == f"idm.v1.{codec}"
        answers.append(
            [
                await peer.call("jobs.list", {}),
                await peer.call("jobs.get", {"id": "j1"}),
                await peer.call("jobs.get", {"id": "nope"}),
                await peer.call("config.get"),
            ]
        )
        await peer.close()
    assert answers[0] == answers[1]
    assert answers[0][2]["error"]["code"] == -32004


async def test_no_subprotocol_means_json(toy: ToyDaemon) -> None:
    peer = await connect(toy.url, "json", token=toy.token, protocol=None)
    assert peer.ws.protocol is None
    assert (await peer.call("session.ping"))["result"] == "pong"
    await peer.close()


async def test_a_batch_is_answered_in_one_frame_without_notifications(toy: ToyDaemon) -> None:
    peer = await connect(toy.url, token=toy.token)
    await peer.send(
        [
            {"jsonrpc": "2.0", "id": 1, "method": "session.ping"},
            {"jsonrpc": "2.0", "method": "session.ping"},
            {"jsonrpc": "2.0", "id": 2, "method": "no.such"},
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "jobs.add",
                "params": {"url": "http://x.test/f", "options": {"connections": 99}},
            },
            {"jsonrpc": "2.0", "id": 4, "method": "jobs.add", "params": ["http://x.test/g"]},
        ]
    )
    replies = await peer.reply(None)
    assert isinstance(replies, list)
    by_id = {r["id"]: r for r in replies}
    assert set(by_id) == {1, 2, 3, 4}
    assert by_id[1]["result"] == "pong"
    assert by_id[2]["error"]["code"] == -32601
    assert by_id[3]["error"]["code"] == -32602
    assert by_id[3]["error"]["data"]["param"] == "options.connections"
    assert by_id[4]["result"]["url"] == "http://x.test/g"
    await peer.close()


async def test_malformed_frames_get_parse_errors_and_the_connection_stays_open(
    toy: ToyDaemon,
) -> None:
    peer = await connect(toy.url, token=toy.token)
    await peer.ws.send_str("{not json")
    reply = await peer.reply(None)
    assert reply == {"jsonrpc": "2.0", "id": None, "error": reply["error"]}
    assert reply["error"]["code"] == -32700
    await peer.ws.send_bytes(b"\xff\xfe")
    assert (await peer.reply(None))["error"]["code"] == -32700
    await peer.send({"jsonrpc": "1.0", "id": 9, "method": "session.ping"})
    assert (await peer.reply(9))["error"]["code"] == -32600
    assert (await peer.call("session.ping"))["result"] == "pong"
    await peer.close()


async def test_msgpack_malformed_frames_get_parse_errors(toy: ToyDaemon) -> None:
    peer = await connect(toy.url, "msgpack", token=toy.token)
    await peer.ws.send_bytes(b"\xc1")
    assert (await peer.reply(None))["error"]["code"] == -32700
    await peer.ws.send_str("text on msgpack")
    assert (await peer.reply(None))["error"]["code"] == -32700
    assert (await peer.call("session.ping"))["result"] == "pong"
    await peer.close()


async def test_an_oversize_frame_closes_1009(toy: ToyDaemon) -> None:
    peer = await connect(toy.url, token=toy.token)
    await peer.ws.send_str('"' + "x" * (1024 * 1024 + 10) + '"')
    assert await peer.closed_with() == 1009
    await peer.close()


async def test_errors_name_the_parameter(toy: ToyDaemon) -> None:
    peer = await connect(toy.url, token=toy.token)
    await check_parameter_errors(peer)
    await peer.close()


async def test_an_engine_bug_is_an_internal_error_without_traceback(toy: ToyDaemon) -> None:
    def broken() -> dict:
        raise KeyError("secret internals")

    toy.engine.stats = broken  # type: ignore[method-assign]
    peer = await connect(toy.url, token=toy.token)
    reply = await peer.call("daemon.stats")
    assert reply["error"] == {"code": -32603, "message": "Internal error"}
    assert (await peer.call("session.ping"))["result"] == "pong"
    await peer.close()


async def test_daemon_info_and_config_set(toy: ToyDaemon) -> None:
    peer = await connect(toy.url, token=toy.token)
    info = (await peer.call("daemon.info"))["result"]
    assert info["pid"] > 0 and info["yt_dlp"]
    changed = (await peer.call("config.set", {"patch": {"max_active": 5}}))["result"]
    assert changed["max_active"] == 5 and toy.ctx.config.max_active == 5
    assert (await peer.call("daemon.shutdown"))["result"] is True
    assert toy.ctx.stop_requested.is_set()
    await peer.close()


async def test_concurrent_requests_are_served_while_one_waits(toy: ToyDaemon) -> None:
    gate = asyncio.Event()

    async def slow_probe(url: str, options: dict) -> dict:
        await gate.wait()
        return {"kind": "file"}

    toy.engine.probe = slow_probe  # type: ignore[method-assign]
    peer = await connect(toy.url, token=toy.token)
    await peer.send(
        {
            "jsonrpc": "2.0",
            "id": "slow",
            "method": "jobs.probe",
            "params": {"url": "http://a.test/"},
        }
    )
    assert (await peer.call("session.ping"))["result"] == "pong"
    gate.set()
    assert (await peer.reply("slow"))["result"] == {"kind": "file"}
    await peer.close()


async def test_a_connection_waiting_for_pairing_outlives_the_hello_timeout(
    toy: ToyDaemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "HELLO_TIMEOUT", 0.05)
    fired = asyncio.Event()
    original = connection.Connection._hello_timeout

    def spy(self: connection.Connection) -> None:
        original(self)
        fired.set()

    monkeypatch.setattr(connection.Connection, "_hello_timeout", spy)
    waiting = await connect(
        toy.url, headers={"Origin": "chrome-extension://abcdefghijklmnopabcdefghijklmnop"}
    )
    code = (await waiting.call("session.pair", {"client": {"name": "Chrome"}}))["result"]["code"]
    await asyncio.wait_for(fired.wait(), 5)  # the 10 s (here 50 ms) deadline has passed
    admin = await connect(toy.url, token=toy.token)
    assert (await admin.call("pairing.approve", {"code": code}))["result"] is True
    event = await waiting.next_event()
    assert event["type"] == "pairing.approved" and len(event["data"]["token"]) == 64
    assert "result" in await waiting.call("jobs.list", {})  # authenticated by the approval
    await admin.close()
    await waiting.close()


@pytest.mark.parametrize("codec", ["json", "msgpack"])
async def test_absurdly_nested_input_is_a_parse_error_not_a_crash(
    toy: ToyDaemon, codec: str
) -> None:
    peer = await connect(toy.url, codec, token=toy.token)
    if codec == "json":
        await peer.ws.send_str("[" * 200_000 + "]" * 200_000)
    else:
        await peer.ws.send_bytes(b"\x91" * 200_000 + b"\xc0")
    reply = await peer.reply(None)
    assert reply["error"]["code"] in (-32700, -32600)
    assert (await peer.call("session.ping"))["result"] == "pong"
    await peer.close()
