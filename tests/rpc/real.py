"""The real daemon app in this process: ``idmd.app.create_app`` with the real
Engine and a real SQLite Store in a temporary IDM_HOME, served on 127.0.0.1.

The counterpart of ``tests.rpc.toy``: the same attributes (``url``,
``token``, ``ctx``), so the protocol's calls can be checked against what
the engine and the store really do, not only against the toy's idea of it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiohttp.test_utils import TestServer

from idmd.app import create_app
from idmd.config import Config
from idmd.context import DaemonContext
from idmd.engine import Engine
from idmd.events import EventBus
from idmd.paths import resolve_paths


@dataclass
class RealDaemon:
    server: TestServer
    ctx: DaemonContext

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.port}/rpc"

    @property
    def token(self) -> str:
        return self.ctx.token

    @property
    def engine(self) -> Engine:
        assert self.ctx.engine is not None
        return self.ctx.engine

    @property
    def download_dir(self) -> Path:
        return self.ctx.download_dir

    async def close(self) -> None:
        """Stops the engine (checkpointing every job) and closes the store, as idmd does."""
        await self.server.close()


async def start_real_daemon(
    home: Path,
    config: Config | None = None,
    token: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> RealDaemon:
    """``clock``: the schedule's wall clock (tests set it, then call ``ctx.schedule.tick()``)."""
    paths = resolve_paths({"IDM_HOME": str(home)})
    paths.ensure()
    ctx = DaemonContext(config or Config(), paths, token or secrets.token_hex(32), EventBus())
    ctx.clock = clock
    server = TestServer(create_app(ctx), host="127.0.0.1", port=0)
    await server.start_server()  # runs the app's cleanup_ctx: the store opens, the engine starts
    ctx.port = server.port
    return RealDaemon(server, ctx)
