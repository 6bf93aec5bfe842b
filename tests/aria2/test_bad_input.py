"""Bad input to ``/jsonrpc``: every method with wrong types and wrong counts of
parameters, unknown GIDs, big batches, a nested multicall, no or a wrong token.
Each gets an aria2-shaped error and nothing changes in the daemon."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import aiohttp
import pytest

from idmd.aria2.methods import METHODS
from tests.aria2.conftest import Files, add_and_wait, call, jsonrpc
from tests.daemon_process import DaemonProcess

UNKNOWN = "c00000000000ffff"  # well-formed, stands for job id 00000000ffff, which does not exist
WRONG = [None, True, 3.5, {}, [], "x", -1, ["x"], {"a": {"b": []}}]


async def state(daemon: DaemonProcess) -> Any:
    """Everything a bad call could have changed: the three lists, the options, the stats."""
    stat = (await call(daemon, "aria2.getGlobalStat"))["result"]
    stat.pop("downloadSpeed")
    return [
        (await call(daemon, "aria2.tellActive", ["gid", "status"]))["result"],
        (await call(daemon, "aria2.tellWaiting", 0, 1000))["result"],
        (await call(daemon, "aria2.tellStopped", 0, 1000, ["gid", "status", "files"]))["result"],
        (await call(daemon, "aria2.getGlobalOption"))["result"],
        stat,
    ]


def is_aria2_error(reply: Any, code: int = 1) -> bool:
    error = reply.get("error") if isinstance(reply, dict) else None
    return (
        isinstance(error, dict)
        and error.get("code") == code
        and isinstance(error.get("message"), str)
        and error["message"] != ""
        and "result" not in reply
    )


@pytest.fixture
async def populated(idmd: DaemonProcess, files: Files) -> list[str]:
    """A finished and a paused job: the state that bad calls must leave alone."""
    done = await add_and_wait(idmd, files.url("two.bin"))
    paused = (await call(idmd, "aria2.addUri", [files.url("one.bin")], {"pause": "true"}))["result"]
    return [done, paused]


async def test_every_method_refuses_wrong_types_and_counts(
    idmd: DaemonProcess, populated: list[str]
) -> None:
    before = await state(idmd)
    gid = populated[1]
    for method in METHODS:
        attempts: list[list[Any]] = [[gid] + [WRONG[0]] * 20]  # far too many parameters
        for position in range(3):
            for wrong in WRONG:
                params: list[Any] = [gid, 0, 1][:position] + [wrong]
                attempts.append(params)
        for params in attempts:
            reply = await call(idmd, method, *params)
            if "result" in reply:
                # Only shapes aria2 itself accepts may succeed: a keys filter or options that
                # happen to be valid, offsets and counts; never one that changes anything.
                assert method in ACCEPTING, (method, params, reply)
                continue
            assert is_aria2_error(reply), (method, params, reply)
    assert await state(idmd) == before
    assert idmd.proc is not None and idmd.proc.poll() is None


# Calls that may answer a result for some of the shapes above, without changing anything:
# a keys filter of odd names, an options struct of names idm ignores.
ACCEPTING = {
    "aria2.tellStatus",
    "aria2.tellActive",
    "aria2.changeOption",
    "aria2.changeGlobalOption",
}


async def test_unknown_gids_and_bad_gids(idmd: DaemonProcess, populated: list[str]) -> None:
    before = await state(idmd)
    takes_gid = [
        m
        for m in METHODS
        if m
        in (
            "aria2.remove",
            "aria2.forceRemove",
            "aria2.pause",
            "aria2.forcePause",
            "aria2.unpause",
            "aria2.tellStatus",
            "aria2.getUris",
            "aria2.getFiles",
            "aria2.getServers",
            "aria2.getOption",
            "aria2.removeDownloadResult",
        )
    ]
    for method in takes_gid:
        assert (await call(idmd, method, UNKNOWN))["error"] == {
            "code": 1,
            "message": f"GID {UNKNOWN} is not found",
        }
        for bad in ("", "123", "zzzzzzzzzzzzzzzz", UNKNOWN + "0", "0" * 16):
            reply = await call(idmd, method, bad)
            assert is_aria2_error(reply), (method, bad, reply)
    reply = await call(idmd, "aria2.changePosition", UNKNOWN, 0, "POS_SET")
    assert is_aria2_error(reply)
    reply = await call(idmd, "aria2.changeOption", UNKNOWN, {"split": "2"})
    assert reply["error"]["message"] == f"GID {UNKNOWN} is not found"
    assert await state(idmd) == before


async def test_batches_multicall_tokens_and_frames(
    idmd: DaemonProcess, populated: list[str]
) -> None:
    before = await state(idmd)
    token = f"token:{idmd.token}"
    batch = [
        {
            "jsonrpc": "2.0",
            "id": i,
            "method": "aria2.tellStatus" if i % 2 else "aria2.nothing",
            "params": [token, populated[0], ["status"]],
        }
        for i in range(1000)
    ]
    replies = await jsonrpc(idmd, batch)
    assert [r["id"] for r in replies] == list(range(1000))
    assert all(r["result"] == {"status": "complete"} for r in replies[1::2])
    assert all(
        r["error"] == {"code": 1, "message": "No such method: aria2.nothing"} for r in replies[::2]
    )
    too_many = await jsonrpc(idmd, batch + batch[:1])
    assert is_aria2_error(too_many, -32600)

    nested = [
        {"methodName": "system.multicall", "params": [[{"methodName": "system.listMethods"}]]},
        {"methodName": "aria2.getVersion", "params": [token]},
        {"methodName": "aria2.pause", "params": [token, 5]},
        "not a struct",
    ]
    result = (await call(idmd, "system.multicall", nested, token=False))["result"]
    assert result[0] == {"code": 1, "message": "Recursive system.multicall forbidden."}
    assert result[1][0]["version"]
    assert result[2]["code"] == 1 and result[3]["code"] == 1
    unauthorised = [{"methodName": "aria2.pauseAll", "params": ["token:wrong"]}]
    assert (await call(idmd, "system.multicall", unauthorised, token=False))["error"] == {
        "code": 1,
        "message": "Unauthorized",
    }

    assert (await call(idmd, "aria2.pauseAll", token=False))["error"] == {
        "code": 1,
        "message": "Unauthorized",
    }
    started = time.monotonic()
    wrong = [
        {"jsonrpc": "2.0", "id": i, "method": "aria2.pauseAll", "params": ["token:nope"]}
        for i in range(20)
    ]
    replies = await jsonrpc(idmd, wrong)
    elapsed = time.monotonic() - started
    assert all(r["error"] == {"code": 1, "message": "Unauthorized"} for r in replies)
    assert 0.9 <= elapsed < 10, "a wrong token costs the delay once per message"

    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{idmd.port}/jsonrpc"
        async with session.post(url, data=b"{not json") as response:
            assert response.status == 400
            assert (await response.json(content_type=None))["error"]["code"] == -32700
        for body in (
            b"42",
            b'"x"',
            b'{"method": 5}',
            b'{"method": "aria2.getVersion", "params": {}}',
            b"[]",
        ):
            async with session.post(url, data=body) as response:
                assert is_aria2_error(await response.json(content_type=None), -32600), body
        async with session.get(
            url, params={"method": "aria2.getVersion", "id": "1", "params": "%%%"}
        ) as response:
            assert (await response.json(content_type=None))["error"]["code"] == -32700
        encoded = base64.b64encode(json.dumps([token, populated[0], ["status"]]).encode()).decode()
        query = {"method": "aria2.tellStatus", "id": "g", "params": encoded}
        async with session.get(url, params=query) as response:  # aria2's GET form works
            assert await response.json(content_type=None) == {
                "jsonrpc": "2.0",
                "id": "g",
                "result": {"status": "complete"},
            }
        async with session.get(
            url, params={"method": "aria2.getVersion", "jsoncallback": "cb"}
        ) as response:
            assert response.status == 400
        async with session.ws_connect(url) as ws:
            await ws.send_str("{oops")
            assert (await ws.receive_json())["error"]["code"] == -32700
            await ws.send_json(
                {"jsonrpc": "2.0", "id": 7, "method": "aria2.getVersion", "params": [token]}
            )
            assert (await ws.receive_json())["result"]["version"]
    assert await state(idmd) == before
    assert idmd.proc is not None and idmd.proc.poll() is None
