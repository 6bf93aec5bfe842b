"""Issue 11 point 1 and 7: text from the outside world that is not valid UTF-8
(a raw byte in a reason phrase, a Latin-1 file name) must neither silence a
client nor fail a job; a frame that cannot be encoded is answered for its own id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.daemon_process import DaemonProcess
from tests.hostile_http import RawHttpServer, response
from tests.rpc.wsutil import RawPeer, connect, strict_json


async def _job_events(peer: RawPeer, job_id: str, status: str) -> dict[str, Any]:
    while True:
        event = await peer.next_event(timeout=20)
        if (
            event["job"] == job_id
            and event["type"] == "job.status"
            and event["data"]["status"] == status
        ):
            return event


@pytest.mark.parametrize("codec", ["json", "msgpack"])
async def test_a_raw_byte_in_a_reason_phrase_reaches_every_client_and_survives_a_restart(
    daemon: DaemonProcess, codec: str
) -> None:
    server = await RawHttpServer(lambda path: response(b"HTTP/1.1 404 Not F\xe9und")).start()
    peer = await connect(f"ws://127.0.0.1:{daemon.port}/rpc", codec, token=daemon.token)
    try:
        assert "result" in await peer.call("events.subscribe", {})
        added = await peer.call("jobs.add", {"url": server.url("/file.bin")})
        job_id = added["result"]["id"]
        event = await _job_events(peer, job_id, "failed")
        assert (
            event["data"]["error"]["message"] == "HTTP 404 Not Féund"
        )  # the byte decoded as Latin-1
        listed = await peer.call("jobs.list", {})
        assert [j["id"] for j in listed["result"]["jobs"]] == [job_id]
        assert (await peer.call("jobs.get", {"id": job_id}))["result"]["status"] == "failed"
    finally:
        await peer.close()
        await server.close()
    daemon.stop()
    daemon.start()
    peer = await connect(f"ws://127.0.0.1:{daemon.port}/rpc", codec, token=daemon.token)
    try:
        listed = await peer.call("jobs.list", {})
        assert listed["result"]["jobs"][0]["error"]["message"] == "HTTP 404 Not Féund"
        assert "result" in await peer.call("events.subscribe", {"since": 0})
    finally:
        await peer.close()


async def test_lone_surrogates_in_a_request_are_refused_and_the_connection_keeps_serving(
    daemon: DaemonProcess,
) -> None:
    peer = await connect(f"ws://127.0.0.1:{daemon.port}/rpc", "json")
    try:
        for frame in (
            '{"jsonrpc":"2.0","id":1,"method":"x\\udcff"}',
            '{"jsonrpc":"2.0","id":"\\ud800","method":"session.ping"}',
            '{"jsonrpc":"2.0","id":2,"method":"session.hello","params":{"tok\\udcffen":"x"}}',
        ):
            await peer.ws.send_str(frame)
            msg = await peer.ws.receive(5)
            reply = strict_json(msg.data)
            assert reply["error"]["code"] == -32700, reply
        reply = await peer.call("session.hello", {"token": daemon.token})
        assert "result" in reply
        await peer.ws.send_str(
            '{"jsonrpc":"2.0","id":3,"method":"jobs.add","params":{"url":"http://h/\\udcff"}}'
        )
        assert strict_json((await peer.ws.receive(5)).data)["error"]["code"] == -32700
        assert (await peer.call("jobs.list", {}))["result"]["jobs"] == []
    finally:
        await peer.close()


@pytest.mark.parametrize(
    "header",
    [
        b'Content-Disposition: attachment; filename="caf\xe9.txt"',
        b"Content-Disposition: attachment; filename*=UTF-8''caf%E9.txt",  # not UTF-8: Latin-1
        b"Content-Disposition: attachment; filename*=iso-8859-1'fr'caf\xe9.txt",
    ],
)
async def test_latin1_file_names_are_decoded_as_browsers_do(
    daemon: DaemonProcess, header: bytes
) -> None:
    server = await RawHttpServer(
        lambda path: response(b"HTTP/1.1 200 OK", (header,), b"hello")
    ).start()
    peer = await connect(f"ws://127.0.0.1:{daemon.port}/rpc", "json", token=daemon.token)
    try:
        await peer.call("events.subscribe", {})
        job_id = (await peer.call("jobs.add", {"url": server.url("/x")}))["result"]["id"]
        await _job_events(peer, job_id, "completed")
        job = (await peer.call("jobs.get", {"id": job_id}))["result"]
        assert job["filename"] == "café.txt"
        assert Path(job["path"]).read_bytes() == b"hello"
    finally:
        await peer.close()
        await server.close()
