"""Categories on the real engine: a real HTTP server on 127.0.0.1, a real SQLite file;
the file lands in its category's folder, chosen once its name and type are known."""

from __future__ import annotations

from pathlib import Path

import pytest

from idmd.protocol.errors import InvalidParams
from tests.engine.conftest import close_harness, make_harness
from tests.engine.servers import Site, payload


async def test_a_zip_lands_in_compressed_and_a_type_without_extension_in_video(
    tmp_path: Path, site: Site
) -> None:
    site.file("/backup.zip", payload(200_000))
    site.file("/stream", payload(1000), headers={"Content-Type": "video/mp4"})
    site.file("/data.bin", payload(1000))
    await site.start()
    h = await make_harness(tmp_path)
    try:
        job = await h.download(site.url("/backup.zip"))
        assert job["status"] == "completed", job["error"]
        assert job["category"] == "Compressed"
        assert job["path"] == str((h.downloads / "Compressed" / "backup.zip").resolve())
        assert Path(job["path"]).read_bytes() == payload(200_000)
        video = await h.download(site.url("/stream"))
        assert video["category"] == "Video" and Path(video["path"]).parent.name == "Video"
        plain = await h.download(site.url("/data.bin"))
        assert "category" not in plain and Path(plain["path"]).parent == h.downloads.resolve()
        await h.store.flush()
        stored = await h.store.get_job(job["id"])  # the history keeps it
        assert stored is not None and stored["category"] == "Compressed"
    finally:
        await close_harness(h)


async def test_a_host_rule_wins_over_the_extension(tmp_path: Path, site: Site) -> None:
    site.file("/backup.zip", payload(1000))
    await site.start()
    h = await make_harness(
        tmp_path, categories={"Local": {"hosts": ["127.0.0.*"], "folder": "From/Local"}}
    )
    try:
        job = await h.download(site.url("/backup.zip"))
        assert job["category"] == "Local"
        assert job["path"] == str((h.downloads / "From" / "Local" / "backup.zip").resolve())
    finally:
        await close_harness(h)


async def test_an_explicit_category_wins_and_an_unknown_one_is_refused(
    tmp_path: Path, site: Site
) -> None:
    site.file("/backup.zip", payload(1000))
    await site.start()
    h = await make_harness(tmp_path)
    try:
        job = await h.download(site.url("/backup.zip"), category="documents")  # any case
        assert job["category"] == "Documents" and job["options"]["category"] == "Documents"
        assert Path(job["path"]).parent == (h.downloads / "Documents").resolve()
        with pytest.raises(InvalidParams, match="no category 'Nope'") as caught:
            await h.engine.add(site.url("/backup.zip"), {"category": "Nope"})
        assert caught.value.data == {"param": "options.category"}
    finally:
        await close_harness(h)


async def test_an_explicit_dir_keeps_its_folder_and_categories_can_be_off(
    tmp_path: Path, site: Site
) -> None:
    site.file("/backup.zip", payload(1000))
    await site.start()
    own = tmp_path / "own"
    h = await make_harness(tmp_path, use_categories=False)
    try:
        job = await h.download(site.url("/backup.zip"), dir=str(own))
        assert Path(job["path"]).parent == own.resolve() and "category" not in job
        job = await h.download(site.url("/backup.zip"))
        assert Path(job["path"]).parent == h.downloads.resolve() and "category" not in job
        job = await h.download(site.url("/backup.zip"), category="Compressed", dir=str(own))
        assert job["category"] == "Compressed" and Path(job["path"]).parent == own.resolve()
    finally:
        await close_harness(h)


async def test_a_category_folder_that_became_a_symlink_outside_is_not_used(
    tmp_path: Path, site: Site
) -> None:
    site.file("/backup.zip", payload(1000))
    await site.start()
    h = await make_harness(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (h.downloads / "Compressed").symlink_to(outside)
    try:
        job = await h.download(site.url("/backup.zip"))
        assert job["status"] == "completed"
        assert Path(job["path"]).parent == h.downloads.resolve()
        assert not list(outside.iterdir())
        assert any("outside the download folder" in m for m in h.events.logs(job["id"]))
    finally:
        await close_harness(h)
