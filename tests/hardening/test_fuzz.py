"""A seeded fuzz run through a real daemon (issue 11): random and hostile JSON
and msgpack frames, hostile server responses (raw bytes in reason phrases,
Latin-1 names, broken Content-Disposition) and hostile file names. Every reply
must be strict JSON or valid msgpack, no connection may be closed for an
internal error, nothing may be written outside the download folder, and the
daemon must keep serving. Set IDM_FUZZ_SEED to replay a run."""

from __future__ import annotations

import inspect
import json
import os
import random
from pathlib import Path
from typing import Any

import aiohttp
import msgpack

from idmd.rpc.api import NAMESPACES
from tests.daemon_process import DaemonProcess
from tests.hostile_http import RawHttpServer, response
from tests.rpc.wsutil import RawPeer, connect, strict_json

SEED = int(os.environ.get("IDM_FUZZ_SEED", "11"))
FRAMES = 1200  # per codec; the whole test stays well under 30 s
SKIPPED = {"daemon.shutdown", "config.set", "session.hello"}  # legitimate ways to end the run
METHODS = {
    f"{prefix}.{name}": list(inspect.signature(func).parameters)[1:]
    for prefix, cls in NAMESPACES.items()
    for name, func in vars(cls).items()
    if not name.startswith("_") and callable(func)
}
FUZZED = sorted(set(METHODS) - SKIPPED)

HOSTILE_STRINGS = [
    "",
    "../../etc/passwd",
    "..",
    "/etc",
    "~",
    "CON",
    "a" * 5000,
    "\u202etxt.exe",
    "x\x00y",
    "\\u0000",
    "http://[::1/",
    "http://h:99999/",
    "http://127.0.0.1:1/",
    "caf\u00e9",
    "\U0001f600",
    "\r\nHost: evil",
    "*",
    "%00",
    "chrome-extension://x",
]
RAW_TOKENS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1" + "0" * 40,
    "-0",
    "1.5e-400",
    '"\\udcff"',
    '"\\ud800"',
    '"\\ud83d\\ude00"',
    '"\\u0000"',
    "9223372036854775808",
]


class Generator:
    def __init__(self, rng: random.Random, server_url: str, downloads: Path) -> None:
        self.rng = rng
        self.server_url = server_url
        self.downloads = downloads

    def string(self) -> str:
        rng = self.rng
        pick = rng.random()
        if pick < 0.4:
            return rng.choice(HOSTILE_STRINGS)
        if pick < 0.6:
            return f"{self.server_url}/{rng.randrange(40)}/{rng.choice(HOSTILE_STRINGS)[:40]}"
        if pick < 0.7:
            return str(self.downloads / rng.choice(["a", "b/c", "..", "../.."]))
        return "".join(
            chr(
                rng.choice(
                    [rng.randrange(32, 127), rng.randrange(0x80, 0x800), rng.randrange(0, 32)]
                )
            )
            for _ in range(rng.randrange(12))
        )

    def value(self, depth: int = 0) -> Any:
        """A random Python value (for msgpack, and for JSON through json.dumps)."""
        rng = self.rng
        kind = rng.randrange(9 if depth < 3 else 6)
        if kind == 0:
            return rng.choice(
                [0, 1, -1, 7, 2**31, 2**63 - 1, -(2**63), 2**64 - 1, rng.randrange(-(10**6), 10**6)]
            )
        if kind == 1:
            return rng.choice([0.5, -1.25, 1e308, float("nan"), float("inf"), 3.0])
        if kind in (2, 3):
            return self.string()
        if kind == 4:
            return rng.choice([True, False, None])
        if kind == 5:
            return rng.choice([[], {}, [self.string()], {"url": self.string()}])
        if kind == 6:
            return [self.value(depth + 1) for _ in range(rng.randrange(4))]
        return {
            rng.choice([self.string(), "dir", "filename", "url", "on_duplicate", "id"]): self.value(
                depth + 1
            )
            for _ in range(rng.randrange(4))
        }

    def params(self, method: str) -> Any:
        rng = self.rng
        names = METHODS.get(method, [])
        if rng.random() < 0.15:
            return self.value()
        params = {name: self.value() for name in names if rng.random() < 0.7}
        if "url" in params and rng.random() < 0.7:
            params["url"] = f"{self.server_url}/{rng.randrange(40)}"
        if "options" in names and rng.random() < 0.5:
            params["options"] = {
                "filename": self.string(),
                "dir": str(self.downloads),
                "on_duplicate": rng.choice(["rename", "overwrite", "skip", "ask"]),
            }
        if rng.random() < 0.1:
            params[self.string()] = self.value()
        return params

    def request(self) -> dict[str, Any]:
        rng = self.rng
        method = rng.choice(FUZZED) if rng.random() < 0.85 else self.string()
        message: dict[str, Any] = {
            "jsonrpc": "2.0" if rng.random() < 0.9 else self.value(),
            "method": method,
        }
        if rng.random() < 0.85:
            message["id"] = rng.choice([rng.randrange(10**6), self.string(), None, 1.5])
        if rng.random() < 0.8:
            message["params"] = self.params(method)
        return message

    def message(self) -> Any:
        if self.rng.random() < 0.1:
            return [self.request() for _ in range(self.rng.randrange(1, 6))]
        return self.request()

    def json_frame(self) -> str:
        rng = self.rng
        pick = rng.random()
        if pick < 0.05:
            return "".join(
                rng.choice('{}[]",:0123456789.eE-+ntrufalsNI\\') for _ in range(rng.randrange(40))
            )
        text = json.dumps(
            self.message(), ensure_ascii=rng.random() < 0.5
        )  # NaN/Infinity tokens included
        if pick < 0.3:  # splice raw tokens where values stood
            for token in rng.sample(RAW_TOKENS, 2):
                text = text.replace('"' + self.rng.choice(HOSTILE_STRINGS[:4]) + '"', token, 1)
            text = text.replace("null", rng.choice(RAW_TOKENS), 1)
        return text

    def msgpack_frame(self) -> bytes:
        rng = self.rng
        if rng.random() < 0.08:
            return rng.randbytes(rng.randrange(1, 40))
        frame: bytes = msgpack.packb(self.message(), use_bin_type=True)
        if rng.random() < 0.1:  # a bin or ext value where a string belongs, or a truncated frame
            return (
                frame[: rng.randrange(1, len(frame) + 1)]
                if rng.random() < 0.5
                else msgpack.packb(
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": rng.choice(FUZZED),
                        "params": {"url": b"\xff\xfe"},
                    }
                )
            )
        return frame


def hostile_response(rng: random.Random, path: str) -> bytes:
    names = [
        b'filename="caf\xe9.txt"',
        b"filename*=UTF-8''caf%E9.txt",
        b'filename="../../../outside.txt"',
        b"filename*=bogus'x'%FF%FE",
        b'filename="\x00\x01nul"',
        b"filename=" + b"A" * 400,
        b"filename*=utf-16''%FF%FE%00%D8",
        b'filename="CON.txt"',
        b'filename="\xed\xa0\x80.bin"',
        b"filename*=iso-8859-1''%E9t%E9.txt; filename=x",
        b'filename="a/b\\\\c.txt"',
    ]
    status = rng.choice(
        [
            b"HTTP/1.1 200 OK",
            b"HTTP/1.1 404 Not F\xe9und",
            b"HTTP/1.1 500 \xff\xfe\x00",
            b"HTTP/1.1 403 \xe2\x82",
            b"HTTP/1.1 200 \xc3\xa9t\xc3\xa9",
        ]
    )
    headers = (b"Content-Disposition: attachment; " + rng.choice(names),)
    return response(status, headers, b"data " * rng.randrange(1, 50))


async def _read_until(peer: RawPeer, marker: str, codec: str) -> list[Any]:
    """Every frame up to the reply with id ``marker``, each checked strict."""
    seen = []
    while True:
        msg = await peer.ws.receive(10)
        if msg.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.CLOSING,
        ):
            raise ConnectionError(peer.ws.close_code)
        assert msg.type is (
            aiohttp.WSMsgType.TEXT if codec == "json" else aiohttp.WSMsgType.BINARY
        ), msg
        data = strict_json(msg.data) if codec == "json" else msgpack.unpackb(msg.data, raw=False)
        seen.append(data)
        items = data if isinstance(data, list) else [data]
        for item in items:
            assert isinstance(item, dict) and item.get("jsonrpc") == "2.0", item
        if any(item.get("id") == marker for item in items):
            return seen


async def _open(url: str, codec: str, token: str) -> RawPeer:
    peer = await connect(url, codec, token=token)
    assert "result" in await peer.call("events.subscribe", {"since": 0})
    return peer


async def test_fuzz_frames_servers_and_names_through_a_real_daemon(daemon: DaemonProcess) -> None:
    rng = random.Random(SEED)
    server = await RawHttpServer(
        lambda path: hostile_response(random.Random(f"{SEED}{path}"), path)
    ).start()
    url = f"ws://127.0.0.1:{daemon.port}/rpc"
    downloads = daemon.download_dir
    gen = Generator(rng, f"http://127.0.0.1:{server.port}", downloads)
    replies = closes = 0
    try:
        for codec in ("json", "msgpack"):
            peer = await _open(url, codec, daemon.token)
            for n in range(FRAMES):
                frame = gen.json_frame() if codec == "json" else gen.msgpack_frame()
                if isinstance(frame, str):
                    await peer.ws.send_str(frame)
                else:
                    await peer.ws.send_bytes(frame)
                marker = f"sync-{n}"
                await peer.send({"jsonrpc": "2.0", "id": marker, "method": "session.ping"})
                try:
                    replies += len(await _read_until(peer, marker, codec))
                except ConnectionError as exc:
                    assert exc.args[0] in (4401, 1009), f"closed {exc.args[0]} after {frame!r}"
                    closes += 1
                    peer = await _open(url, codec, daemon.token)
            await peer.close()
        for _ in range(150):  # unauthenticated: the same checks, and the socket closes 4401 at most
            peer = await connect(url, "json")
            await peer.ws.send_str(gen.json_frame())
            # An invalid request is answered without closing: it marks the end of the replies.
            await peer.ws.send_str('{"jsonrpc":"2.0","id":"sync","method":5}')
            try:
                await _read_until(peer, "sync", "json")
            except ConnectionError as exc:
                assert exc.args[0] == 4401, exc
            await peer.close()
        final = await connect(url, "json", token=daemon.token)
        try:
            info = await final.call("daemon.info")
            assert info["result"]["pid"] == daemon.proc.pid  # type: ignore[union-attr]
            listed = (await final.call("jobs.list", {"limit": 1000}))["result"]["jobs"]
            for job in listed:
                if job["path"]:
                    assert Path(job["path"]).resolve().is_relative_to(downloads.resolve()), job
        finally:
            await final.close()
    finally:
        await server.close()
    assert replies > FRAMES
    assert not (downloads.parent / "outside.txt").exists()
    log = daemon.stderr()
    assert "could not be encoded" not in log and "writer for" not in log, log[-3000:]
    assert daemon.proc is not None and daemon.proc.poll() is None
    assert closes < FRAMES // 10  # closing is for unauthenticated or oversized frames only
