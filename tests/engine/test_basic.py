"""Plain downloads: many connections, the right bytes, the right events."""

from __future__ import annotations

from idmd.protocol.events import EventType
from tests.engine.conftest import Harness
from tests.engine.servers import Site, payload, sha256


async def test_a_file_arrives_complete_over_several_connections(harness: Harness, site: Site) -> None:
    data = payload(3 * 1024 * 1024)
    site.file("/data.bin", data)
    await site.start()
    job = await harness.download(site.url("/data.bin"), connections=4)
    assert job["status"] == "completed", job["error"]
    path = harness.downloads / "data.bin"
    assert job["path"] == str(path.resolve())
    assert sha256(path.read_bytes()) == sha256(data)
    assert not (harness.downloads / "data.bin.part").exists()
    assert site.hits["/data.bin"] >= 4  # it really used several connections
    statuses = [e.data["status"] for e in harness.events.of(job["id"], EventType.JOB_STATUS)]
    assert statuses == ["downloading", "completed"]
    assert harness.events.of(job["id"], EventType.JOB_PROGRESS)[-1].data["done"] == len(data)
    stats = harness.engine.stats()
    assert stats["totals"]["completed"] == 1 and stats["totals"]["downloaded"] == len(data)
    assert stats["active"] == 0
