"""The options page: the daemon's address and a pasted token, checked."""

from __future__ import annotations

import pytest

from tests.daemon_process import DaemonProcess
from tests.extension.conftest import EXTENSION_ID, Browser

# One event loop per module: the playwright driver is shared by its tests.
pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

OPTIONS = f"chrome-extension://{EXTENSION_ID}/options.html"


async def test_address_and_pasted_token_connect(browser: Browser, daemon: DaemonProcess) -> None:
    page = await browser.context.new_page()
    await page.goto(OPTIONS)
    await page.wait_for_selector("#conn-state:not(:has-text('…'))")
    await page.fill("#daemon-url", daemon.url)
    await page.click("#save")
    await page.wait_for_selector("#status:has-text('Saved.')")
    await page.fill("#token", daemon.token)
    await page.click("#save-token")
    await page.wait_for_selector("#conn-state:has-text('connected')")
    assert await page.text_content("#token-state") == "A token is saved."
    # The field is emptied: the token is not left on screen.
    assert await page.input_value("#token") == ""


async def test_a_remote_address_is_refused(browser: Browser) -> None:
    page = await browser.context.new_page()
    await page.goto(OPTIONS)
    await page.wait_for_function("document.querySelector('#daemon-url').value !== ''")
    await page.fill("#daemon-url", "ws://192.0.2.1:8765/rpc")
    await page.click("#save")
    await page.wait_for_selector("#status.error")
    assert "this machine" in (await page.text_content("#status") or "")
    settings = await browser.eval(
        "chrome.storage.local.get('settings').then((r) => r.settings ?? null)"
    )
    assert settings is None


async def test_capture_rules_are_saved_cleaned(browser: Browser) -> None:
    page = await browser.context.new_page()
    await page.goto(OPTIONS)
    await page.wait_for_function("document.querySelector('#extensions').value.includes('zip')")
    await page.fill("#extensions", ".ISO, pdf  pdf")
    await page.fill("#min-size", "100")
    await page.fill("#excluded-sites", "https://Bank.example/login\n*.corp.example")
    await page.click("#save")
    await page.wait_for_selector("#status:has-text('Saved.')")
    capture = await browser.eval("globalThis.idm.worker.settings")
    assert capture["capture"]["extensions"] == ["iso", "pdf"]
    assert capture["capture"]["minSize"] == 100 * 1024 * 1024
    assert capture["excludedSites"] == ["bank.example", "corp.example"]
    assert await page.input_value("#extensions") == "iso, pdf"
