"""The aiohttp application: the store, the engine and the RPC routes, started
and stopped in order through ``cleanup_ctx``."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator

from aiohttp import web

from idmd.aria2.server import setup_aria2
from idmd.context import DAEMON, DaemonContext
from idmd.engine import Engine
from idmd.engine.credentials import Credentials
from idmd.engine.schedule_runner import start_schedule
from idmd.rpc.server import setup_rpc
from idmd.store import Store


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    ctx = app[DAEMON]
    ctx.store = await Store.open(ctx.paths.db_file)
    yield
    await ctx.store.close()


async def _engine_ctx(app: web.Application) -> AsyncIterator[None]:
    ctx = app[DAEMON]
    assert ctx.store is not None
    credentials = Credentials.for_user(ctx.paths.config_file.parent)
    store: object = ctx.store
    if ctx.config.fleet_url:
        from idmd.fleet.node import Fleet  # nats is imported only by a daemon in a fleet

        ctx.fleet = Fleet(ctx.config)
        store = ctx.fleet.tap(ctx.store)
    ctx.engine = Engine(ctx.config, ctx.download_dir, store, ctx.bus, credentials)
    if ctx.fleet is not None:
        ctx.fleet.attach(ctx.engine)
    # The schedule decides which queues may start before the engine starts its first job.
    ctx.schedule = start_schedule(ctx.engine, ctx.bus, ctx.paths.config_file, ctx.clock)
    await ctx.engine.start()
    ctx.schedule.start()
    if ctx.fleet is not None:
        ctx.fleet.start()
    ctx.engine.warm()  # a media worker and TLS get ready while the daemon waits for its first job
    # What start-up made (modules, classes, the loaded jobs) lives as long as the daemon: a full
    # collection need not scan it again each time, which keeps its pauses short under load.
    gc.freeze()
    yield
    ctx.schedule.close()
    # Graceful: every job checkpointed, parts kept, so the next start resumes.
    await ctx.engine.stop()
    if ctx.fleet is not None:
        await ctx.fleet.stop()  # the jobs it held go back to the fleet with their checkpoints


def create_app(ctx: DaemonContext) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[DAEMON] = ctx
    app.cleanup_ctx.append(_store_ctx)
    app.cleanup_ctx.append(_engine_ctx)
    setup_rpc(app)
    setup_aria2(app)  # aria2's JSON-RPC at /jsonrpc, on the same engine and tokens
    return app
