"""Calls the protocol refuses, each naming the parameter at fault: sent to the
toy engine (test_server.py) and to the real one (test_real_engine.py), so both
answer the same."""

from __future__ import annotations

from typing import Any

from tests.rpc.wsutil import RawPeer

PARAMETER_ERRORS: list[tuple[str, dict[str, Any], str]] = [
    ("jobs.add", {"url": 5}, "url"),
    ("jobs.add", {}, "url"),
    ("jobs.add", {"url": "http://a.test/x", "bogus": 1}, "bogus"),
    ("jobs.add", {"url": "http://a.test/x", "options": {"quality": "4k"}}, "options.quality"),
    ("jobs.add", {"url": "http://a.test/x", "options": {"whatever": 1}}, "options.whatever"),
    ("jobs.add", {"url": "http://a.test/x", "options": {"connections": 99}}, "options.connections"),
    ("jobs.pause", {"ids": "j1"}, "ids"),
    ("jobs.list", {"limit": 0}, "limit"),
    ("config.set", {"patch": {"max_active": 0}}, "patch.max_active"),
    ("events.subscribe", {"types": ["nope"]}, "types"),
]


async def check_parameter_errors(peer: RawPeer) -> None:
    for method, params, name in PARAMETER_ERRORS:
        reply = await peer.call(method, params)
        assert reply["error"]["code"] == -32602, (method, reply)
        assert reply["error"]["data"]["param"] == name, (method, reply)
        assert name.split(".")[-1] in reply["error"]["message"]
    file_url = await peer.call("jobs.add", {"url": "file:///etc/passwd"})
    assert file_url["error"]["code"] == -32010
