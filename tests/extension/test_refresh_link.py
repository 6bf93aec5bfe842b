"""A captured download with the name and size of a failed job is that job's new link: the
browser, the extension and idmd together keep the bytes the expired link gave."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from idmd.client import Client
from tests.daemon_process import DaemonProcess
from tests.engine.servers import serve
from tests.extension.conftest import ZIP_BYTES, Browser, Site, wait_for, wait_for_job

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(loop_scope="module")
async def expired() -> AsyncIterator[TestServer]:
    """``/old/sample.zip``: the first request gets half the file and a reset, then 403."""
    seen = {"n": 0}

    async def old(request: web.Request) -> web.StreamResponse:
        seen["n"] += 1
        if seen["n"] > 1:
            return web.Response(status=403)
        return await serve(request, ZIP_BYTES, etag=None, cut_after=len(ZIP_BYTES) // 2)

    app = web.Application()
    app.router.add_get("/old/sample.zip", old)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield server
    await server.close()


async def test_clicking_the_link_again_continues_the_failed_download(
    browser: Browser, daemon: DaemonProcess, site: Site, expired: TestServer
) -> None:
    await browser.configure(daemon.url, daemon.token)
    await browser.wait_state("connected")
    async with await Client.connect(daemon.url, daemon.token) as client:
        job = await client.call("jobs.add", {"url": str(expired.make_url("/old/sample.zip"))})
        failed = await wait_for(
            lambda: browser.eval(
                f"globalThis.idm.worker.jobs.jobs.get({json.dumps(job['id'])})?.status === 'failed'"
            ),
            what="the extension sees the job failed",
        )
        assert failed
        kept = (await client.call("jobs.get", {"id": job["id"]}))["done"]
        assert 0 < kept < len(ZIP_BYTES)

        page = await browser.context.new_page()
        await page.goto(site.url("/"))
        await page.click("#file")
        done = await wait_for_job(client, site.url("/files/sample.zip"))
        assert done["id"] == job["id"]  # the same job, not a new one
        assert Path(done["path"]).read_bytes() == ZIP_BYTES
        assert (await client.call("jobs.list", {}))["total"] == 1
