"""Issue 11 point 5: unauthenticated pairing requests cannot flood the events:
one pairing.requested per new code, new codes rate-limited across connections,
and pairing events kept out of the replay buffer that reconnecting clients use."""

from __future__ import annotations

from tests.daemon_process import DaemonProcess
from tests.rpc.wsutil import connect

EXTENSION = {"Origin": "chrome-extension://abcdefghijklmnopabcdefghijklmnop"}


async def test_pairing_spam_neither_floods_events_nor_pushes_job_events_out(
    daemon: DaemonProcess,
) -> None:
    url = f"ws://127.0.0.1:{daemon.port}/rpc"
    owner = await connect(url, token=daemon.token)
    hostile = await connect(url, headers=EXTENSION)
    others = []
    try:
        job = (
            await owner.call(
                "jobs.add", {"url": "http://127.0.0.1:9/x", "options": {"start": "paused"}}
            )
        )["result"]
        seq = (await owner.call("events.subscribe", {}))["result"]["seq"]
        codes = {(await hostile.call("session.pair", {}))["result"]["code"] for _ in range(5000)}
        assert len(codes) == 1  # one connection, one code
        limited = 0
        for _ in range(20):  # many sockets: new codes are rate-limited across all of them
            other = await connect(url, headers=EXTENSION)
            others.append(other)
            reply = await other.call("session.pair", {})
            limited += reply.get("error", {}).get("code") == -32011
        assert limited >= 10
        ping = await owner.call("session.ping")  # every event before this reply is already queued
        assert ping["result"] == "pong"
        requested = [e for e in owner.events if e["type"] == "pairing.requested"]
        assert len(requested) <= 9, len(requested)
        replay = await owner.call("events.subscribe", {"since": seq - 1})
        assert replay["result"]["reset"] is False
        assert job["id"] in [j["id"] for j in replay["result"]["snapshot"]["jobs"]]
    finally:
        for peer in (owner, hostile, *others):
            await peer.close()
