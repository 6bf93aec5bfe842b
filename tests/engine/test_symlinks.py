"""Issue 11 point 4: symlinks planted in the download folder. A dangling
``NAME.part`` link must not redirect the bytes outside; a dangling link at the
final name is an existing file (a numbered name is used), never an endless loop."""

from __future__ import annotations

from pathlib import Path

from idmd.engine.http.partfile import move_into_place
from tests.engine.conftest import close_harness, make_harness
from tests.engine.servers import Site

DATA = b"payload " * 1000


async def test_a_dangling_part_symlink_is_not_written_through(tmp_path: Path, site: Site) -> None:
    site.file("/f.bin", DATA)
    await site.start()
    h = await make_harness(tmp_path)
    try:
        outside = tmp_path / "outside.txt"
        h.downloads.mkdir(parents=True, exist_ok=True)
        (h.downloads / "f.bin.part").symlink_to(outside)
        job = await h.download(site.url("/f.bin"))
        assert not outside.exists()  # nothing written through the link
        assert job["status"] == "completed", job
        assert Path(job["path"]).read_bytes() == DATA
        assert not Path(job["path"]).is_symlink()
    finally:
        await close_harness(h)


async def test_a_dangling_symlink_at_the_final_name_gets_a_numbered_name(
    tmp_path: Path, site: Site
) -> None:
    site.file("/g.bin", DATA)
    await site.start()
    h = await make_harness(tmp_path)
    try:
        outside = tmp_path / "elsewhere"
        h.downloads.mkdir(parents=True, exist_ok=True)
        (h.downloads / "g.bin").symlink_to(outside)
        job = await h.download(site.url("/g.bin"), timeout=10)
        assert job["status"] == "completed", job
        assert job["filename"] == "g (1).bin"
        assert not outside.exists()
        assert (h.downloads / "g.bin").is_symlink()
    finally:
        await close_harness(h)


def test_move_into_place_treats_a_dangling_link_as_taken_and_is_bounded(tmp_path: Path) -> None:
    part = tmp_path / "h.bin.part"
    part.write_bytes(b"x")
    (tmp_path / "h.bin").symlink_to(tmp_path / "nowhere")
    assert move_into_place(part, tmp_path / "h.bin", overwrite=False) == tmp_path / "h (1).bin"
    assert not (tmp_path / "nowhere").exists()


def test_a_part_file_is_never_opened_through_a_symlink(tmp_path: Path) -> None:
    from idmd.engine.http.partfile import PartFile
    from idmd.engine.runner import JobError

    target = tmp_path / "target"
    (tmp_path / "i.bin.part").symlink_to(target)
    try:
        PartFile.open(tmp_path / "i.bin.part", 10, fresh=True)
    except JobError as exc:
        assert "symbolic link" in exc.message
    else:
        raise AssertionError("opened through a symlink")
    assert not target.exists()
