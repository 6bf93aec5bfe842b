"""Servers that break HTTP: the job fails with one readable line that says what the server
did, never a library's internals (exception reprs, parser dumps over several lines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.conftest import close_harness, make_harness
from tests.hostile_http import RawHttpServer


def _raw(head: bytes, body: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\n" + head + b"Connection: close\r\n\r\n" + body


CASES = {
    # a connection closed early, no ranges to resume with
    "/short": (
        _raw(b"Content-Length: 100000\r\n", b"a" * 50_000),
        "the server closed the connection after 50000 of 100000 bytes",
    ),
    # a header no parser accepts
    "/badlength": (
        _raw(b"Content-Length: -5\r\n", b"abc"),
        "the server sent a malformed response: invalid character in content-length",
    ),
}


@pytest.mark.parametrize("path", list(CASES))
async def test_a_broken_response_fails_the_job_with_one_readable_line(
    tmp_path: Path, path: str
) -> None:
    answer, expected = CASES[path]
    server = await RawHttpServer(lambda _path: answer).start()
    harness = await make_harness(tmp_path, retries=1)
    try:
        job = await harness.download(server.url(path))
        assert job["status"] == "failed"
        message = job["error"]["message"]
        assert message.lower().startswith(expected), message
        assert "\n" not in message and "<" not in message and "Error" not in message
    finally:
        await close_harness(harness)
        await server.close()
