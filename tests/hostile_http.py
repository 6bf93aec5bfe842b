"""A raw HTTP/1.1 server on loopback that answers with exactly the bytes a test
gives it: raw bytes in reason phrases and headers, which no well-behaved server
library lets a test send."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class RawHttpServer:
    """Answers every request with ``respond(path)``: the whole response, bytes as sent."""

    def __init__(self, respond: Callable[[str], bytes]) -> None:
        self.respond = respond
        self.server: asyncio.Server | None = None
        self.requests: list[str] = []

    async def start(self) -> RawHttpServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode("latin-1")
            self.requests.append(path)
            writer.write(self.respond(path))
            await writer.drain()
        except (
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ConnectionError,
            IndexError,
        ):
            pass
        finally:
            writer.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def response(status_line: bytes, headers: tuple[bytes, ...] = (), body: bytes = b"") -> bytes:
    """A whole response: ``status_line`` such as ``b"HTTP/1.1 404 Not F\\xe9und"``,
    raw header lines, body."""
    head = [status_line, *headers, b"Content-Length: %d" % len(body), b"Connection: close"]
    return b"\r\n".join(head) + b"\r\n\r\n" + body
