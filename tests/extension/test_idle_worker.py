"""The extension in a Chromium that stops its idle service worker, as a user's
does (plain CDP, no debugger on the worker; see tests/extension/cdp.py).
These take a minute each: Chrome stops a worker after 30 s without events."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from idmd.client import Client
from tests.daemon_process import DaemonProcess
from tests.extension.cdp import chromium_over_cdp
from tests.extension.conftest import EXTENSION_ID, Site, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

OPTIONS = f"chrome-extension://{EXTENSION_ID}/options.html"
CONN_STATE = "document.querySelector('#conn-state').textContent"


async def test_a_pairing_approved_after_45_s_still_pairs(
    chromium_path: Path, daemon: DaemonProcess, tmp_path: Path
) -> None:
    async with chromium_over_cdp(chromium_path, tmp_path / "profile") as cdp:
        _, page = await cdp.open_page(OPTIONS)
        settings = json.dumps({"daemonUrl": daemon.url})
        await cdp.wait_eval(
            page, f"chrome.storage.local.set({{settings: {settings}}}).then(() => true)"
        )
        await cdp.wait_eval(page, f"{CONN_STATE} === 'unpaired'")
        await cdp.evaluate(page, "document.querySelector('#pair').click()")
        code = await cdp.wait_eval(page, "document.querySelector('#pair-code').textContent")
        # The user takes 45 s to type the code: longer than Chrome lets an idle worker live.
        await asyncio.sleep(45)
        assert await cdp.evaluate(page, CONN_STATE) == "pairing"
        async with await Client.connect(daemon.url, daemon.token) as client:
            assert await client.call("pairing.approve", {"code": code}) is True
        await cdp.wait_eval(page, f"{CONN_STATE} === 'connected'", timeout=10)
        token = await cdp.evaluate(
            page, "chrome.storage.local.get('token').then((r) => r.token ?? null)"
        )
        assert token and token != daemon.token


async def test_a_stopped_worker_reconnects_when_the_user_switches_tabs(
    chromium_path: Path, daemon: DaemonProcess, site: Site, tmp_path: Path
) -> None:
    async with chromium_over_cdp(chromium_path, tmp_path / "profile") as cdp:
        options_target, options = await cdp.open_page(OPTIONS)
        settings = json.dumps({"daemonUrl": daemon.url})
        token = json.dumps(daemon.token)
        await cdp.wait_eval(
            options,
            f"chrome.storage.local.set({{settings: {settings}, token: {token}}}).then(() => true)",
        )
        await cdp.wait_eval(options, f"{CONN_STATE} === 'connected'")
        await cdp.send("Target.closeTarget", {"targetId": options_target})
        first, _ = await cdp.open_page(site.url("/"))
        _, second = await cdp.open_page(site.url("/video.html"))

        port = daemon.port
        daemon.stop()
        # The worker is stopped while idmd is away (Chrome does it to an idle
        # worker; its alarm wakes it every 30 s, so here it is told to).
        await cdp.send("ServiceWorker.enable", session=second)
        await cdp.send("ServiceWorker.stopAllWorkers", session=second)
        await wait_for(
            lambda: "stopped" in cdp.worker_statuses(), timeout=10, what="the worker to stop"
        )
        daemon.extra_args = ["--port", str(port)]
        daemon.start()

        # The user switches to the other tab: the worker wakes and reconnects.
        await cdp.send("Target.activateTarget", {"targetId": first})
        switched = asyncio.get_running_loop().time()
        worker = await wait_for(cdp.worker_target, timeout=5, what="the worker to wake up")
        session = (await cdp.send("Target.attachToTarget", {"targetId": worker, "flatten": True}))[
            "sessionId"
        ]
        await cdp.wait_eval(
            session, "globalThis.idm?.worker.connection?.state === 'connected'", timeout=5
        )
        assert asyncio.get_running_loop().time() - switched <= 5
