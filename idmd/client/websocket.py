"""A client WebSocket (RFC 6455) on asyncio's streams: what ``Link`` needs, nothing more.

Every ``idm`` command opens one connection to idmd and is gone a moment later, so
what it imports is most of what it costs: aiohttp's client took 0.11 s of a 0.3 s
start (its connector builds TLS contexts on import). This speaks the protocol
itself: the upgrade request, masked frames out, frames in (fragments joined,
pings answered), the closing handshake. ``ssl`` is imported only for wss://.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import struct
from urllib.parse import SplitResult, urlsplit

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
_HEAD_LIMIT = 64 * 1024  # the upgrade response's headers
_SCHEMES = {"ws": False, "wss": True, "http": False, "https": True}  # scheme: over TLS

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
PROTOCOL_ERROR, TOO_BIG = 1002, 1009  # close codes
CLOSE_WAIT = 2.0  # seconds close() waits for the connection to be gone


class HandshakeError(Exception):
    """The server answered the upgrade with something else than 101 Switching Protocols."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ProtocolError(Exception):
    """The server broke the framing rules (or sent too much): closed with ``code``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept a server must answer ``key`` with."""
    return base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()


def mask(payload: bytes, key: bytes) -> bytes:
    """``payload`` XOR the repeated 4-byte ``key`` (as one big-integer XOR: C speed)."""
    if not payload:
        return payload
    size = len(payload)
    repeated = (key * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(size, "big")


def frame(opcode: int, payload: bytes, key: bytes) -> bytes:
    """One final, masked frame (a client masks every frame it sends)."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + key + mask(payload, key)


class WebSocket:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        protocol: str | None,
        max_size: int,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.protocol = protocol  # the subprotocol the server chose
        self.max_size = max_size
        self.closed = False
        self.close_code: int | None = None  # the server's, from its close frame

    @classmethod
    async def connect(
        cls, url: str, protocols: list[str], max_size: int, timeout: float = 10.0
    ) -> WebSocket:
        """Open and upgrade; OSError or TimeoutError when nothing answers, HandshakeError
        when the server refuses the upgrade."""
        parts = urlsplit(url)
        if parts.scheme not in _SCHEMES or not parts.hostname:
            raise HandshakeError(0, f"not a WebSocket URL (ws://HOST:PORT/PATH): {url}")
        secure = _SCHEMES[parts.scheme]
        port = parts.port or (443 if secure else 80)
        context = None
        if secure:
            import ssl  # only here: its import and a context cost more than a loopback command

            context = ssl.create_default_context()
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                parts.hostname, port, ssl=context, limit=_HEAD_LIMIT
            )
            try:
                protocol = await cls._upgrade(reader, writer, parts, protocols)
            except BaseException:
                writer.close()
                raise
        return cls(reader, writer, protocol, max_size)

    @staticmethod
    async def _upgrade(
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        parts: SplitResult,
        protocols: list[str],
    ) -> str | None:
        key = base64.b64encode(os.urandom(16)).decode()
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        lines = [
            f"GET {target} HTTP/1.1",
            f"Host: {parts.netloc.rpartition('@')[2]}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if protocols:
            lines.append(f"Sec-WebSocket-Protocol: {', '.join(protocols)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            raise HandshakeError(0, "the upgrade response's headers are too long") from None
        except asyncio.IncompleteReadError:
            raise ConnectionResetError("closed by the server during the upgrade") from None
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields = status_line.split(" ", 2)
        status = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
        headers = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if status != 101:
            raise HandshakeError(status, f"HTTP {status}")
        if headers.get("sec-websocket-accept") != accept_key(key):
            raise HandshakeError(status, "the server's Sec-WebSocket-Accept is wrong")
        return headers.get("sec-websocket-protocol") or None

    async def send(self, data: str | bytes) -> None:
        """One message; ConnectionError once the connection is closed or lost."""
        if self.closed:
            raise ConnectionResetError("the WebSocket is closed")
        if isinstance(data, str):
            self._write(TEXT, data.encode())
        else:
            self._write(BINARY, bytes(data))
        await self._writer.drain()

    def _write(self, opcode: int, payload: bytes) -> None:
        # One write per frame: frames from concurrent senders never interleave.
        self._writer.write(frame(opcode, payload, os.urandom(4)))

    async def receive(self) -> str | bytes | None:
        """The next message (text as str, binary as bytes); None once the connection has
        closed (``close_code`` is the server's code, None if it was lost without one)."""
        try:
            return await self._next_message()
        except (asyncio.IncompleteReadError, OSError):  # a reset is an OSError too
            self._lost()
        except ProtocolError as exc:
            await self._abort(exc.code)
        return None

    async def _next_message(self) -> str | bytes | None:
        parts: list[bytes] = []
        size = 0
        kind = 0  # TEXT or BINARY once a message has begun
        while not self.closed:
            fin, opcode, payload = await self._read_frame(self.max_size - size)
            if opcode >= CLOSE:
                self._control(opcode, payload)
                continue
            if opcode not in (CONTINUATION, TEXT, BINARY) or (opcode == CONTINUATION) != bool(kind):
                raise ProtocolError(PROTOCOL_ERROR, f"a frame out of place (opcode {opcode})")
            kind = kind or opcode
            parts.append(payload)
            size += len(payload)
            if fin:
                message = b"".join(parts)
                return message.decode("utf-8", "replace") if kind == TEXT else message
        return None

    def _control(self, opcode: int, payload: bytes) -> None:
        """A ping is answered, a pong ignored; a close is echoed and ends the connection."""
        if opcode == PING:
            self._write(PONG, payload)
        elif opcode == CLOSE:
            self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            with contextlib.suppress(ConnectionError, RuntimeError):
                self._write(CLOSE, payload[:2])
            self._lost()
        elif opcode != PONG:
            raise ProtocolError(PROTOCOL_ERROR, f"an unknown control frame (opcode {opcode})")

    async def _read_frame(self, room: int) -> tuple[bool, int, bytes]:
        first, second = await self._reader.readexactly(2)
        fin, opcode = bool(first & 0x80), first & 0x0F
        masked, size = bool(second & 0x80), second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", await self._reader.readexactly(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", await self._reader.readexactly(8))
        if opcode >= CLOSE and (size > 125 or not fin):
            raise ProtocolError(PROTOCOL_ERROR, "a control frame over 125 bytes or fragmented")
        if opcode < CLOSE and size > room:
            raise ProtocolError(TOO_BIG, f"a message over {self.max_size} bytes")
        key = await self._reader.readexactly(4) if masked else b""
        payload = await self._reader.readexactly(size)
        return fin, opcode, mask(payload, key) if masked else payload

    async def close(self, code: int = 1000) -> None:
        """The closing handshake from this side: our close frame, then the connection goes
        (the transport sends what it holds first)."""
        if not self.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                self._write(CLOSE, struct.pack("!H", code))
        self._lost()
        try:
            async with asyncio.timeout(CLOSE_WAIT):
                with contextlib.suppress(OSError):  # however it ended, it has ended
                    await self._writer.wait_closed()
        except TimeoutError:  # a peer that reads nothing more: drop what is still unsent
            self._writer.transport.abort()

    async def _abort(self, code: int) -> None:
        self.close_code = code
        await self.close(code)

    def _lost(self) -> None:
        self.closed = True
        self._writer.close()
