"""``jobs.update`` of category, after and proxy on a job that is not downloading, on the
real engine (a real HTTP server and proxy on 127.0.0.1, a real SQLite file): a new
category before the first byte moves where the file goes, after it the partial file stays
and the log says so; a downloading job refuses them (their ``Update`` policy)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from idmd.protocol.errors import InvalidParams, NotAllowed
from idmd.protocol.events import EventType
from tests.engine.conftest import close_harness, make_harness
from tests.engine.servers import Site, payload, sha256
from tests.engine.test_after import hook, log_line
from tests.proxies import HttpProxy

DATA = payload(300_000)


@pytest.fixture
async def http_proxy() -> AsyncIterator[HttpProxy]:
    proxy = await HttpProxy("pat", "pr0xy:pass").start()
    yield proxy
    await proxy.close()


async def test_a_new_category_before_the_start_moves_the_file_to_its_folder(
    tmp_path: Path, site: Site
) -> None:
    site.file("/backup.zip", payload(1000))
    await site.start()
    command, record = hook(tmp_path)
    h = await make_harness(tmp_path, actions={"note": {"run": command}})
    try:
        job = await h.engine.add(site.url("/backup.zip"), {"start": "paused"})
        with pytest.raises(InvalidParams, match="no category 'Nope'") as caught:
            await h.engine.update(job["id"], {"category": "Nope"})
        assert caught.value.data == {"param": "patch.category"}
        with pytest.raises(InvalidParams) as caught:
            await h.engine.update(job["id"], {"after": "nothing-like-it"})
        assert caught.value.data == {"param": "patch.after"}
        updated = await h.engine.update(job["id"], {"category": "documents", "after": "note"})
        assert updated["options"]["category"] == "Documents"  # the config's spelling
        assert updated["category"] == "Documents"
        await h.engine.resume([job["id"]])
        assert await h.events.status(job["id"], "completed", "failed") == "completed"
        done = h.engine.get(job["id"])
        assert done["path"] == str((h.downloads / "Documents" / "backup.zip").resolve())
        await log_line(h, job["id"], "exit status 0")  # the after-action given by the update
        assert record.exists()
    finally:
        await close_harness(h)


async def test_a_downloading_job_refuses_and_a_paused_partial_file_stays_where_it_began(
    tmp_path: Path, site: Site
) -> None:
    site.file("/big.zip", DATA, stall_after=64 * 1024, stall=site.release)
    await site.start()
    h = await make_harness(tmp_path, stall_timeout=30.0)
    try:
        job = await h.engine.add(site.url("/big.zip"), {"connections": 1})
        await h.events.wait_for(
            lambda e: e.job == job["id"] and e.type == EventType.JOB_PROGRESS and e.data["done"]
        )
        for patch in ({"category": "Video"}, {"after": "none"}, {"proxy": "direct"}):
            with pytest.raises(NotAllowed, match="pause it first"):
                await h.engine.update(job["id"], patch)
        await h.engine.pause([job["id"]])
        updated = await h.engine.update(job["id"], {"category": "Video"})
        assert updated["category"] == "Video"
        started = h.downloads / "Compressed"
        note = await log_line(h, job["id"], "category Video")
        assert f"the partial file stays in {started.resolve()}" in note
        site.release.set()
        await h.engine.resume([job["id"]])
        assert await h.events.status(job["id"], "completed", "failed") == "completed"
        done = h.engine.get(job["id"])
        assert done["path"] == str((started / "big.zip").resolve())
        assert sha256(Path(done["path"]).read_bytes()) == sha256(DATA)
        assert done["category"] == "Video"
    finally:
        await close_harness(h)


async def test_a_paused_job_given_a_proxy_downloads_through_it(
    tmp_path: Path, site: Site, http_proxy: HttpProxy
) -> None:
    site.file("/f.bin", DATA)
    await site.start()
    h = await make_harness(tmp_path)
    try:
        job = await h.engine.add(site.url("/f.bin"), {"start": "paused"})
        updated = await h.engine.update(job["id"], {"proxy": http_proxy.url})
        assert updated["options"]["proxy"] == f"http://pat@127.0.0.1:{http_proxy.port}"
        assert "pr0xy" not in str(updated) and "pr0xy" not in str(h.events.events)
        await h.engine.resume([job["id"]])
        assert await h.events.status(job["id"], "completed", "failed") == "completed"
        assert http_proxy.counts.bytes_down >= len(DATA)  # every byte came through the proxy
        assert http_proxy.counts.refused == 0  # its password, kept apart, was sent
    finally:
        await close_harness(h)


async def test_a_folder_decided_before_any_byte_is_decided_again_for_the_new_category(
    tmp_path: Path, site: Site
) -> None:
    site.file("/backup.zip", payload(1000))
    await site.start()
    h = await make_harness(tmp_path, on_duplicate="ask")
    try:
        (h.downloads / "Compressed").mkdir(parents=True)
        (h.downloads / "Compressed" / "backup.zip").write_bytes(b"mine")
        job = await h.engine.add(site.url("/backup.zip"))
        assert await h.events.status(job["id"], "waiting") == "waiting"  # its folder decided
        await h.engine.update(job["id"], {"category": "Documents"})
        await h.engine.resolve_duplicate(job["id"], "rename")
        assert await h.events.status(job["id"], "completed", "failed") == "completed"
        done = h.engine.get(job["id"])
        assert done["path"] == str((h.downloads / "Documents" / "backup.zip").resolve())
        assert (h.downloads / "Compressed" / "backup.zip").read_bytes() == b"mine"
    finally:
        await close_harness(h)
