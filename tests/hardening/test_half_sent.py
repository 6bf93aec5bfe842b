"""Issue 11 point 8: a half-sent HTTP request is not held open: the daemon
closes a connection that has not finished its request headers in time."""

from __future__ import annotations

import asyncio

from idmd.daemon import HEADER_TIMEOUT
from tests.daemon_process import DaemonProcess


async def test_a_half_sent_request_is_closed(daemon: DaemonProcess) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", daemon.port)
    try:
        writer.write(b"GET /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no blank line: never finished
        await writer.drain()
        async with asyncio.timeout(HEADER_TIMEOUT + 10):
            assert await reader.read() == b""  # the daemon hung up
    finally:
        writer.close()
