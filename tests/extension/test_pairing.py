"""Pairing from the options page as a user does it: a denial is shown, and a
code survives the browser stopping the extension's service worker."""

from __future__ import annotations

from typing import Any

import pytest

from idmd.client import Client
from tests.daemon_process import DaemonProcess
from tests.extension.conftest import EXTENSION_ID, Browser, wait_for

# One event loop per module: the playwright driver is shared by its tests.
pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

OPTIONS = f"chrome-extension://{EXTENSION_ID}/options.html"


async def _pair_from_options(browser: Browser, daemon: DaemonProcess) -> tuple[Any, str]:
    await browser.configure(daemon.url, None)
    await browser.wait_state("unpaired")
    page = await browser.context.new_page()
    await page.goto(OPTIONS)
    await page.click("#pair")
    code_el = await page.wait_for_selector("#pair-code:not(:empty)")
    code = (await code_el.text_content() or "").strip()
    assert code.isdigit() and len(code) == 6
    return page, code


async def test_a_denied_pairing_is_shown_in_the_options_page(
    browser: Browser, daemon: DaemonProcess
) -> None:
    page, code = await _pair_from_options(browser, daemon)
    async with await Client.connect(daemon.url, daemon.token) as client:
        assert await client.call("pairing.deny", {"code": code}) is True
    await page.wait_for_selector("#conn-state[data-state='unpaired']")
    await page.wait_for_selector("#conn-error:has-text('denied')")
    assert await page.is_hidden("#pairing")
    token = await browser.eval("chrome.storage.local.get('token').then((r) => r.token ?? null)")
    assert token is None


async def test_a_code_survives_the_worker_being_stopped(
    browser: Browser, daemon: DaemonProcess
) -> None:
    page, code = await _pair_from_options(browser, daemon)
    await browser.eval("globalThis.markedBeforeStop = true")
    cdp = await browser.context.new_cdp_session(page)
    statuses: list[str] = []
    cdp.on(
        "ServiceWorker.workerVersionUpdated",
        lambda e: statuses.extend(
            v["runningStatus"] for v in e["versions"] if "/background.js" in v["scriptURL"]
        ),
    )
    await cdp.send("ServiceWorker.enable")
    await cdp.send("ServiceWorker.stopAllWorkers")
    await wait_for(lambda: "stopped" in statuses, what="the worker to stop")
    # The options page watches again, which starts a new worker: it takes the
    # same code over instead of asking for a new one.
    await wait_for(lambda: statuses[-1:] == ["running"], what="a new worker")
    assert await browser.eval("globalThis.markedBeforeStop === undefined")
    await browser.wait_state("pairing")
    assert await browser.eval("globalThis.idm.worker.connection.code") == code
    await page.wait_for_selector(f"#pair-code:has-text('{code}')")

    async with await Client.connect(daemon.url, daemon.token) as client:
        assert await client.call("pairing.approve", {"code": code}) is True
    await page.wait_for_selector("#conn-state[data-state='connected']")
    token = await browser.eval("chrome.storage.local.get('token').then((r) => r.token ?? null)")
    assert token and token != daemon.token
