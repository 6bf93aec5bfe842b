"""The floor under idm's small-file figure: Python and aiohttp doing nothing else.

``python floor_fetch.py [--no-fsync] LIST FOLDER [CAFILE]`` fetches every URL of LIST into
FOLDER, three at a time (idmd's default ``max_active``) over kept-alive
connections, each into a ``.part`` that is fsync'ed and renamed, as idmd's
files are before it reports them completed. No history, no events, no client,
no checks: what any Python downloader built on aiohttp pays at least. The
benchmark runs it beside idm and the native tools, so the note can tell the
cost of idm's design from the cost of its language. ``--no-fsync``: the same
without durability, as wget2 and aria2c work.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
from pathlib import Path

import aiohttp

AT_ONCE = 3


async def fetch_all(
    urls: list[str], folder: Path, context: ssl.SSLContext | None, durable: bool = True
) -> None:
    connector = aiohttp.TCPConnector(limit=0, ssl=context if context is not None else True)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:
        left = list(reversed(urls))

        async def worker() -> None:
            while left:
                url = left.pop()
                target = folder / url.rsplit("/", 1)[1]
                part = target.with_name(target.name + ".part")
                async with session.get(url) as response:
                    response.raise_for_status()
                    fd = os.open(part, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
                    try:
                        position = 0
                        async for chunk in response.content.iter_any():
                            position += os.pwrite(fd, chunk, position)
                        if durable:
                            await asyncio.to_thread(os.fsync, fd)
                    finally:
                        os.close(fd)
                os.rename(part, target)

        await asyncio.gather(*(worker() for _ in range(AT_ONCE)))


def main() -> None:
    args = sys.argv[1:]
    durable = "--no-fsync" not in args
    args = [arg for arg in args if arg != "--no-fsync"]
    listing, folder = Path(args[0]), Path(args[1])
    context = ssl.create_default_context(cafile=args[2]) if len(args) > 2 else None
    urls = [line for line in listing.read_text().splitlines() if line]
    asyncio.run(fetch_all(urls, folder, context, durable))


if __name__ == "__main__":
    main()
