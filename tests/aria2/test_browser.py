"""A real browser (Debian's chromium through playwright) on a web page that talks
to ``/jsonrpc``, as AriaNg does: from an origin listed in ``allowed_origins`` it
works (HTTP with a CORS preflight, and WebSocket); from any other origin the
daemon refuses it and nothing is done."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.aria2.conftest import call, start_daemon
from tests.daemon_process import DaemonProcess

CHROMIUM = Path("/usr/lib/chromium/chromium")

PAGE = """<!doctype html><title>aria2 web UI</title><script>
async function post(port, body, type) {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/jsonrpc`,
                          {method: "POST", body: JSON.stringify(body),
                           headers: {"Content-Type": type}});
    return await r.json();
  } catch (e) { return "refused: " + e.name; }
}
function socket(port, body) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/jsonrpc`);
    ws.onopen = () => ws.send(JSON.stringify(body));
    ws.onmessage = (m) => { resolve(JSON.parse(m.data)); ws.close(); };
    ws.onerror = () => resolve("refused");
  });
}
async function run(port, token, url) {
  const add = (tag) => ({jsonrpc: "2.0", id: tag, method: "aria2.addUri",
                          params: ["token:" + token, [url + "?" + tag], {pause: "true"}]});
  return {
    json: await post(port, add("json"), "application/json"),
    plain: await post(port, add("plain"), "text/plain"),
    ws: await socket(port, add("ws")),
  };
}
</script>"""


@pytest.fixture
async def site() -> AsyncIterator[TestServer]:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/ui.html", page)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield server
    await server.close()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (CI installs it)")
    playwright_api = pytest.importorskip("playwright.async_api")
    driver = await playwright_api.async_playwright().start()
    browser = await driver.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )
    yield browser
    await browser.close()
    await driver.stop()


@pytest.fixture
def daemon_for_site(tmp_path: Path, site: TestServer) -> Any:
    process = start_daemon(
        tmp_path / "idm-home", {"allowed_origins": [f"http://127.0.0.1:{site.port}"]}
    )
    yield process
    if process.proc is not None and process.proc.poll() is None:
        process.stop()


async def visit(browser: Any, origin: str, daemon: DaemonProcess) -> dict[str, Any]:
    page = await browser.new_page()
    try:
        await page.goto(f"{origin}/ui.html")
        return dict(
            await page.evaluate(
                "([p, t, u]) => run(p, t, u)",
                [daemon.port, daemon.token, "http://127.0.0.1:9/file.bin"],
            )
        )
    finally:
        await page.close()


async def waiting_urls(daemon: DaemonProcess) -> list[str]:
    jobs = (await call(daemon, "aria2.tellWaiting", 0, 100, ["files"]))["result"]
    return sorted(job["files"][0]["uris"][0]["uri"] for job in jobs)


@pytest.mark.browser
async def test_allowed_origin_works_and_another_is_refused(
    browser: Any, site: TestServer, daemon_for_site: DaemonProcess
) -> None:
    daemon = daemon_for_site
    allowed = await visit(browser, f"http://127.0.0.1:{site.port}", daemon)
    for tag in ("json", "plain", "ws"):
        assert len(allowed[tag]["result"]) == 16, allowed
    base = "http://127.0.0.1:9/file.bin?"
    assert await waiting_urls(daemon) == [base + "json", base + "plain", base + "ws"]

    # The same page from another origin (localhost is not 127.0.0.1 to a browser).
    other = await visit(browser, f"http://localhost:{site.port}", daemon)
    assert other == {"json": "refused: TypeError", "plain": "refused: TypeError", "ws": "refused"}
    assert await waiting_urls(daemon) == [base + "json", base + "plain", base + "ws"]
