"""Real proxies on 127.0.0.1 for the tests: an HTTP proxy (forwarding and CONNECT) and a
SOCKS5 server, each with an optional user and password, each counting what it carried.

Both relay raw bytes once the target is known: the forwarding proxy passes the
request on in absolute form, which HTTP/1.1 servers (aiohttp's too) accept.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import struct
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Counts:
    connections: int = 0  # tunnels opened to a target
    bytes_down: int = 0  # bytes from the targets to the clients
    refused: int = 0  # clients turned away (wrong or missing credentials)
    targets: list[str] = field(default_factory=list)


class _Proxy:
    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.user, self.password = user, password
        self.counts = Counts()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> _Proxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self.handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def relay(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        host: str,
        port: int,
        first: bytes = b"",
    ) -> None:
        """Connect to ``host:port``, send ``first``, then copy both ways until either side ends."""
        up_reader, up_writer = await asyncio.open_connection(host, port)
        self.counts.connections += 1
        self.counts.targets.append(f"{host}:{port}")
        up_writer.write(first)

        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter, down: bool) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    if down:
                        self.counts.bytes_down += len(data)
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(OSError):
                dst.close()

        try:
            await asyncio.gather(copy(reader, up_writer, False), copy(up_reader, writer, True))
        finally:
            up_writer.close()


class HttpProxy(_Proxy):
    """``http://[user:password@]127.0.0.1:PORT``: absolute-form requests and CONNECT."""

    @property
    def url(self) -> str:
        auth = f"{self.user}:{self.password}@" if self.user else ""
        return f"http://{auth}127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(":") for line in lines if line)
        }
        if self.user is not None:
            expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            if headers.get("proxy-authorization") != expected:
                self.counts.refused += 1
                writer.write(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
                )
                await writer.drain()
                return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await self.relay(reader, writer, host, int(port))
            return
        parts = urlsplit(target)
        await self.relay(reader, writer, parts.hostname or "", parts.port or 80, head)


class Socks5Proxy(_Proxy):
    """``socks5://[user:password@]127.0.0.1:PORT`` (RFC 1928, RFC 1929), CONNECT only."""

    @property
    def url(self) -> str:
        auth = f"{self.user}:{self.password}@" if self.user else ""
        return f"socks5://{auth}127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        wanted = 0x02 if self.user is not None else 0x00
        if version != 5 or wanted not in methods:
            writer.write(b"\x05\xff")
            self.counts.refused += 1
            return
        writer.write(bytes([5, wanted]))
        if wanted == 0x02:
            _, size = await reader.readexactly(2)
            user = (await reader.readexactly(size)).decode()
            (size,) = await reader.readexactly(1)
            password = (await reader.readexactly(size)).decode()
            if (user, password) != (self.user, self.password):
                self.counts.refused += 1
                writer.write(b"\x01\x01")
                return
            writer.write(b"\x01\x00")
        _, command, _, kind = await reader.readexactly(4)
        if kind == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif kind == 4:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        else:
            (size,) = await reader.readexactly(1)
            host = (await reader.readexactly(size)).decode()
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if command != 1:
            writer.write(b"\x05\x07\x00\x01" + bytes(6))
            return
        writer.write(b"\x05\x00\x00\x01" + bytes(4) + struct.pack("!H", 0))
        await self.relay(reader, writer, host, port)
