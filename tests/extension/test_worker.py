"""The service worker stopped by Chrome (MV3 eviction) comes back, rebuilds its
state from chrome.storage, reconnects and keeps showing live progress."""

from __future__ import annotations

import pytest

from idmd.client import Client
from tests.daemon_process import DaemonProcess
from tests.extension.conftest import Browser, Site, wait_for

# One event loop per module: the playwright driver is shared by its tests.
pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def test_evicted_worker_reconnects_and_shows_progress_again(
    browser: Browser, daemon: DaemonProcess, site: Site
) -> None:
    await browser.configure(daemon.url, daemon.token)
    await browser.wait_state("connected")
    async with await Client.connect(daemon.url, daemon.token) as client:
        job = await client.call("jobs.add", {"url": site.url("/slow/big.bin"), "options": {}})
    popup = await browser.open_popup()
    row = f'.job[data-id="{job["id"]}"]'
    # Half the file is there and the server holds the rest: visibly in progress.
    await popup.wait_for_selector(f'{row}[data-status="downloading"]')
    await wait_for(
        lambda: _summary_has(popup, row, "256 KiB / 512 KiB"), what="half the file in the popup"
    )

    # Mark this worker instance; a restarted worker will not have the mark.
    await browser.eval("globalThis.markedBeforeEviction = true")
    statuses: list[str] = []
    cdp = await browser.context.new_cdp_session(popup)
    cdp.on(
        "ServiceWorker.workerVersionUpdated",
        lambda e: statuses.extend(
            v["runningStatus"] for v in e["versions"] if "/background.js" in v["scriptURL"]
        ),
    )
    await cdp.send("ServiceWorker.enable")
    await cdp.send("ServiceWorker.stopAllWorkers")
    await wait_for(lambda: "stopped" in statuses, what="the worker to stop")

    # The popup's port died with the worker; watching again starts a new one,
    # which rebuilds its state from chrome.storage and reconnects.
    await wait_for(lambda: statuses[-1:] == ["running"], what="a new worker")
    assert await browser.eval("globalThis.markedBeforeEviction === undefined")
    await browser.wait_state("connected")
    site.gate.set()
    await popup.wait_for_selector(f'{row}[data-status="completed"]', timeout=30_000)
    assert await popup.text_content(f"{row} .summary") == "512 KiB / 512 KiB"


async def _summary_has(popup: object, row: str, text: str) -> bool:
    content = await popup.text_content(f"{row} .summary")  # type: ignore[attr-defined]
    return text in (content or "")
