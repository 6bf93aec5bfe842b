"""The client's own WebSocket (``idmd.client.websocket``) against a server on 127.0.0.1
that speaks RFC 6455 by hand, so each test can send what aiohttp's server never would:
fragments, pings between them, oversized messages, refusals, a wrong accept key."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from idmd.client.errors import ClientError
from idmd.client.link import Link
from idmd.client.websocket import CLOSE_WAIT, HandshakeError, WebSocket, accept_key, mask

Scenario = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def server_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """A frame as a server sends it: never masked."""
    first = (0x80 if fin else 0) | opcode
    if len(payload) < 126:
        return struct.pack("!BB", first, len(payload)) + payload
    if len(payload) < 1 << 16:
        return struct.pack("!BBH", first, 126, len(payload)) + payload
    return struct.pack("!BBQ", first, 127, len(payload)) + payload


async def client_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The next frame from the client, unmasked; fails unless the client masked it."""
    first, second = await reader.readexactly(2)
    assert second & 0x80, "a client frame must be masked"
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    key = await reader.readexactly(4)
    return first & 0x0F, mask(await reader.readexactly(size), key)


@asynccontextmanager
async def hand_server(
    scenario: Scenario, status: str = "101 Switching Protocols", accept: str | None = None
) -> AsyncIterator[str]:
    """A server that answers the upgrade (``accept``: a wrong key instead of the right one),
    then plays ``scenario``; yields its ws:// URL."""
    handlers: list[asyncio.Task[None]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode()
            key = next(
                line.split(":", 1)[1].strip()
                for line in head.split("\r\n")
                if line.lower().startswith("sec-websocket-key:")
            )
            writer.write(
                f"HTTP/1.1 {status}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept or accept_key(key)}\r\n"
                "Sec-WebSocket-Protocol: idm.v1.json\r\nContent-Length: 0\r\n\r\n".encode()
            )
            await writer.drain()
            if status.startswith("101"):
                await scenario(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/rpc"
        async with asyncio.timeout(10):  # the scenario's own assertions fail the test
            await asyncio.gather(*handlers)
    finally:
        server.close()
        await server.wait_closed()


async def test_fragments_are_joined_and_a_ping_between_them_is_answered() -> None:
    pongs: list[bytes] = []

    async def scenario(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(server_frame(0x1, b'{"a": ', fin=False))
        writer.write(server_frame(0x9, b"still there?"))
        writer.write(server_frame(0x0, '1, "é": 2}'.encode(), fin=True))
        writer.write(server_frame(0x2, b"\x00" * 70_000))  # a 64-bit length
        await writer.drain()
        pongs.append((await client_frame(reader))[1])
        assert await client_frame(reader) == (0x1, b'{"hello": "server"}')
        assert await client_frame(reader) == (0x2, bytes(range(256)) * 300)

    async with hand_server(scenario) as url:
        ws = await WebSocket.connect(url, ["idm.v1.json"], max_size=1 << 20)
        assert ws.protocol == "idm.v1.json"
        assert await ws.receive() == '{"a": 1, "é": 2}'
        assert await ws.receive() == b"\x00" * 70_000
        await ws.send('{"hello": "server"}')
        await ws.send(bytes(range(256)) * 300)
        assert await ws.receive() is None  # the server hung up without a close frame
        assert ws.closed and ws.close_code is None
    assert pongs == [b"still there?"]


async def test_a_refused_upgrade_says_what_the_server_answered() -> None:
    async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise AssertionError("no frames after a refusal")

    async with hand_server(never, status="403 Forbidden") as url:
        with pytest.raises(HandshakeError) as refused:
            await WebSocket.connect(url, [], max_size=1000)
        assert refused.value.status == 403
        with pytest.raises(ClientError, match="refused the connection.*HTTP 403"):
            await Link.open(url, "json", lambda event: None, lambda link, reason: None)


async def test_a_server_that_does_not_prove_it_speaks_websocket_is_refused() -> None:
    async def idle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with hand_server(idle, accept="bm90IHRoZSByaWdodCBrZXk=") as url:
        with pytest.raises(HandshakeError, match="Sec-WebSocket-Accept"):
            await WebSocket.connect(url, [], max_size=1000)


async def test_an_http_url_is_taken_as_the_websocket_at_that_address() -> None:
    async def hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(server_frame(0x1, b"hello"))
        await writer.drain()

    async with hand_server(hello) as url:
        ws = await WebSocket.connect(url.replace("ws://", "http://"), [], max_size=1000)
        assert await ws.receive() == "hello"
        await ws.close()
    with pytest.raises(HandshakeError, match="not a WebSocket URL"):
        await WebSocket.connect("ftp://127.0.0.1:1/rpc", [], max_size=1000)


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        pytest.param(
            [server_frame(0x2, b"x" * 600, fin=False), server_frame(0x0, b"x" * 600)],
            1009,
            id="a message over the limit",
        ),
        pytest.param(
            [server_frame(0x8, struct.pack("!H", 1001) + b"going away")], 1001, id="server closes"
        ),
        pytest.param([server_frame(0x0, b"the middle of nothing")], 1002, id="stray continuation"),
    ],
)
async def test_the_connection_ends_with_a_close_code_both_sides_know(
    frames: list[bytes], code: int
) -> None:
    answer: list[tuple[int, bytes]] = []

    async def scenario(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"".join(frames))
        await writer.drain()
        answer.append(await client_frame(reader))

    async with hand_server(scenario) as url:
        ws = await WebSocket.connect(url, [], max_size=1000)
        assert await ws.receive() is None
        assert ws.closed and ws.close_code == code
        with pytest.raises(ConnectionError):
            await ws.send("too late")
    assert answer == [(0x8, struct.pack("!H", code))]  # the client's close frame, or its echo


async def test_close_returns_even_when_the_server_reads_nothing_more() -> None:
    stop = asyncio.Event()

    async def deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await stop.wait()  # reads nothing: the client's socket buffers fill up

    async with hand_server(deaf) as url:
        ws = await WebSocket.connect(url, [], max_size=1000)
        sending = asyncio.create_task(ws.send(b"\x00" * (32 << 20)))  # stuck: nobody reads
        await asyncio.sleep(0)  # the frame is handed to the transport
        async with asyncio.timeout(CLOSE_WAIT + 5):  # not for ever
            await ws.close()
        assert ws.closed
        sending.cancel()
        stop.set()
