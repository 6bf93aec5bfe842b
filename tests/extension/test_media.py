"""Media found on a page: listed in the popup, downloaded through idmd."""

from __future__ import annotations

from pathlib import Path

import pytest

from idmd.client import Client
from tests.daemon_process import DaemonProcess
from tests.extension.conftest import Browser, Site, wait_for_job

# One event loop per module: the playwright driver is shared by its tests.
pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def test_video_on_a_page_is_listed_and_downloaded(
    browser: Browser, daemon: DaemonProcess, site: Site, clip_mp4: bytes
) -> None:
    (site.root / "clip.mp4").write_bytes(clip_mp4)
    await browser.configure(daemon.url, daemon.token)
    await browser.wait_state("connected")
    page = await browser.context.new_page()
    await page.goto(site.url("/video.html"))
    clip_url = site.url("/media/clip.mp4")

    popup = await browser.open_popup(await browser.tab_id(site.url("/video.html")))
    item = f'.media-item[data-url="{clip_url}"]'
    await popup.wait_for_selector(item)
    assert (await popup.text_content(f"{item} .name")) == "clip.mp4"
    # Qualities come from idmd's jobs.probe; the chosen one goes with the job.
    await popup.click(f"{item} .probe")
    await popup.wait_for_selector(f"{item} select.quality:not([hidden])")
    offered = await popup.eval_on_selector_all(f"{item} option", "els => els.map(e => e.value)")
    assert offered and offered[0]
    await popup.click(f"{item} .download")

    async with await Client.connect(daemon.url, daemon.token) as client:
        job = await wait_for_job(client, clip_url)
    assert Path(job["path"]).read_bytes() == clip_mp4
    assert job["options"].get("quality") == offered[0]
    # The popup follows the job to the end.
    row = await popup.wait_for_selector(f'.job[data-id="{job["id"]}"][data-status="completed"]')
    assert await row.eval_on_selector(".fill", "el => el.style.width") == "100%"


async def test_stream_loaded_by_script_is_seen_by_webrequest(
    browser: Browser, daemon: DaemonProcess, site: Site
) -> None:
    await browser.configure(daemon.url, daemon.token)
    page = await browser.context.new_page()
    await page.goto(site.url("/hls.html"))
    popup = await browser.open_popup(await browser.tab_id(site.url("/hls.html")))
    item = f'.media-item[data-url="{site.url("/streams/master.m3u8")}"]'
    await popup.wait_for_selector(item)
    assert await popup.text_content(f"{item} .kind") == "hls"

    # A new page in the tab starts a new list.
    await page.goto(site.url("/"))
    await popup.wait_for_selector(item, state="detached")
