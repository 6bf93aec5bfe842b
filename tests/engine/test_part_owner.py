"""A job that restarts without its saved state (idmd was killed in the first moments of the
download, before that state reached the history) takes back the part file it made, and only
its own: another's ``.part`` is left alone and the job takes the next free name."""

from __future__ import annotations

import os

import pytest

from idmd.engine.http.partfile import OWNER_ATTR, part_owner
from tests.engine.conftest import Harness
from tests.engine.servers import Site, payload


def mark(path: os.PathLike[str], job_id: str) -> None:
    try:
        os.setxattr(path, OWNER_ATTR, job_id.encode())
    except (AttributeError, OSError) as exc:
        pytest.skip(f"no extended attributes here: {exc}")


async def test_a_restarted_job_takes_back_its_own_part_file_and_leaves_anothers(
    harness: Harness, site: Site
) -> None:
    data = payload(256 * 1024)
    site.file("/own.bin", data)
    site.file("/other.bin", data)
    await site.start()
    harness.downloads.mkdir(parents=True, exist_ok=True)
    own = await harness.engine.add(site.url("/own.bin"), {"start": "paused"})
    other = await harness.engine.add(site.url("/other.bin"), {"start": "paused"})
    own_part = harness.downloads / "own.bin.part"
    own_part.write_bytes(b"a start that was never checkpointed")
    mark(own_part, own["id"])
    foreign = harness.downloads / "other.bin.part"
    foreign.write_bytes(b"another program's download")

    await harness.engine.resume([own["id"], other["id"]])
    for job in (own, other):
        assert await harness.events.status(job["id"], "completed", "failed") == "completed"

    assert harness.engine.get(own["id"])["path"] == str(harness.downloads / "own.bin")
    assert (harness.downloads / "own.bin").read_bytes() == data
    assert not own_part.exists()
    moved = harness.engine.get(other["id"])["path"]
    assert moved == str(harness.downloads / "other (1).bin")
    assert (harness.downloads / "other (1).bin").read_bytes() == data
    assert foreign.read_bytes() == b"another program's download"


async def test_a_fresh_part_file_names_its_job(harness: Harness, site: Site) -> None:
    gate_data = payload(8 * 1024 * 1024)
    site.file("/slow.bin", gate_data, pace=0.05)
    await site.start()
    job = await harness.engine.add(site.url("/slow.bin"), {})
    part = harness.downloads / "slow.bin.part"
    await harness.events.wait_for(lambda e: e.job == job["id"] and part.exists())
    if part_owner(part) is None:
        mark(part, "probe")  # skips where the file system keeps no attributes
        pytest.fail("the part file was made without its job's id")
    assert part_owner(part) == job["id"]
    await harness.engine.cancel([job["id"]])
