"""Extract once: the extraction made by ``jobs.add`` (or ``jobs.probe``) is what the job downloads.

Counted on the server: every page view is one extraction. A handed-over URL
that no longer works (it expired while the job waited) is extracted again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.media.conftest import Jobs
from tests.media.helpers import video_height
from tests.media.media_server import MediaServer

pytestmark = pytest.mark.media


def views(server: MediaServer, path: str) -> int:
    return sum(1 for p, _ in list(server.requests) if p == path)


async def test_a_media_job_extracts_once_from_add_to_the_last_byte(
    server: MediaServer, jobs: Jobs, media_root: Path
) -> None:
    done = await jobs.download(server.url("page.html"), mode="media")
    assert done["status"] == "completed", done["error"]
    assert Path(done["path"]).read_bytes() == (media_root / "video.mp4").read_bytes()
    assert views(server, "/page.html") == 1  # add's extraction, handed to the download


async def test_probe_then_add_extracts_once(server: MediaServer, jobs: Jobs) -> None:
    probe = await jobs.engine.probe(server.url("page.html"), {"mode": "media"})
    assert probe["kind"] == "media"
    done = await jobs.download(server.url("page.html"), mode="media")
    assert done["status"] == "completed", done["error"]
    assert views(server, "/page.html") == 1


async def test_an_hls_job_hands_its_info_dict_to_the_worker(
    server: MediaServer, jobs: Jobs
) -> None:
    done = await jobs.download(server.url("hls.html"), mode="media", quality="360p")
    assert done["status"] == "completed", done["error"]
    assert video_height(Path(done["path"])) == 360
    assert views(server, "/hls.html") == 1
    assert views(server, "/f/hls/master.m3u8") == 1  # the worker did not parse the master again


async def test_an_expired_handed_over_url_is_extracted_again(
    server: MediaServer, jobs: Jobs, media_root: Path
) -> None:
    job = await jobs.engine.add(server.url("expiring.html"), {"mode": "media", "start": "paused"})
    server.expire()  # the URL found at add time is refused from now on
    await jobs.engine.resume([job["id"]])
    done = await jobs.status(job["id"], "completed", "failed")
    assert done["status"] == "completed", done["error"]
    assert Path(done["path"]).read_bytes() == (media_root / "video.mp4").read_bytes()
    assert views(server, "/expiring.html") == 2
    assert any("extracting again" in line for line in jobs.logs(job["id"]))


async def test_a_resumed_job_extracts_afresh(
    server: MediaServer, jobs: Jobs, media_root: Path
) -> None:
    job = await jobs.engine.add(server.url("big.html"), {"mode": "media"})
    await jobs.progress(job["id"])  # held at the gate, mid-file
    await jobs.engine.pause([job["id"]])
    server.set_gate(True)
    await jobs.engine.resume([job["id"]])
    done = await jobs.status(job["id"], "completed", "failed")
    assert done["status"] == "completed", done["error"]
    assert Path(done["path"]).read_bytes() == (media_root / "big.mp4").read_bytes()
    assert (
        views(server, "/big.html") == 2
    )  # the add's, then the resumed run's: a kept URL may have expired


async def test_the_job_log_says_where_the_time_went(server: MediaServer, jobs: Jobs) -> None:
    direct = await jobs.download(server.url("page.html"), mode="media")
    merged = await jobs.download(server.url("f/dash/manifest.mpd"), mode="media", quality="720p")
    assert direct["status"] == merged["status"] == "completed", (direct["error"], merged["error"])
    for job, phases in (
        (direct, ("extract", "first byte", "transfer")),
        (merged, ("extract", "first byte", "merge")),
    ):
        timings = [line for line in jobs.logs(job["id"]) if line.startswith("time: ")]
        assert [
            p for p in phases if any(line.startswith(f"time: {p} ") for line in timings)
        ] == list(phases)
