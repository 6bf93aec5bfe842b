"""Media jobs through the in-process Engine (real Store, real workers, real server).

What a user sees: the right quality and streams in one file named after the
title, pause/resume that continue, cancel that leaves nothing, a killed
worker that fails one job and nothing else, and the fallback without ffmpeg.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from idmd.protocol.errors import UrlNotSupported
from tests.media.conftest import Jobs, open_jobs
from tests.media.helpers import job_workers, kinds, video_height
from tests.media.media_server import MediaServer

pytestmark = pytest.mark.media


async def test_probe_of_a_page_embedding_hls_offers_its_qualities(
    server: MediaServer, jobs: Jobs
) -> None:
    result = await jobs.engine.probe(server.url("hls.html"), {})
    assert result["kind"] == "media"
    assert {"360p", "720p"} <= set(result["qualities"])


async def test_quality_360p_of_an_hls_page_gives_a_360p_file_named_after_the_page(
    server: MediaServer, jobs: Jobs
) -> None:
    job = await jobs.download(server.url("hls.html"), quality="360p")
    assert job["status"] == "completed", job["error"]
    assert job["kind"] == "media" and job["media"]["title"].startswith("Hls video")
    path = Path(job["path"])
    assert (
        path.parent == jobs.downloads / "Video"
        and path.name.startswith("Hls video")
        and path.suffix == ".mp4"
    )
    assert job["category"] == "Video"  # an .mp4 goes to the Video category's folder
    assert video_height(path) == 360
    assert jobs.leftovers() == ["Video", f"Video/{path.name}"]


async def test_dash_becomes_one_file_with_audio_and_video(server: MediaServer, jobs: Jobs) -> None:
    job = await jobs.download(server.url("f/dash/manifest.mpd"))
    assert job["status"] == "completed", job["error"]
    path = Path(job["path"])
    assert kinds(path) == {"video", "audio"} and video_height(path) == 720
    assert job["size"] == path.stat().st_size
    assert jobs.leftovers() == ["Video", f"Video/{path.name}"]


async def test_a_page_with_a_video_is_media_fetched_whole(
    server: MediaServer, jobs: Jobs, media_root: Path
) -> None:
    job = await jobs.download(server.url("page.html"))
    assert job["status"] == "completed", job["error"]
    assert job["kind"] == "media"
    assert Path(job["path"]).read_bytes() == (media_root / "video.mp4").read_bytes()


async def test_pause_and_resume_continue_the_fragments_already_fetched(
    server: MediaServer, jobs: Jobs
) -> None:
    job = await jobs.engine.add(server.url("hold/hls/master.m3u8"), {"quality": "360p"})
    await jobs.progress(job["id"])
    await jobs.engine.pause([job["id"]])
    assert jobs.engine.get(job["id"])["status"] == "paused"
    assert job_workers(jobs.engine) == []
    assert any(
        name.startswith(".idm-media-") for name in jobs.leftovers()
    )  # the partial data is kept
    server.set_gate(True)
    await jobs.engine.resume([job["id"]])
    done = await jobs.status(job["id"], "completed", "failed")
    assert done["status"] == "completed", done["error"]
    assert video_height(Path(done["path"])) == 360
    assert len(server.ranges("/hold/hls/v0_000.ts")) == 1  # not fetched again


async def test_pause_and_resume_of_a_direct_media_file(
    server: MediaServer, jobs: Jobs, media_root: Path
) -> None:
    job = await jobs.engine.add(server.url("big.html"), {})
    await jobs.progress(job["id"])
    await jobs.engine.pause([job["id"]])
    assert jobs.leftovers() != []
    server.set_gate(True)
    await jobs.engine.resume([job["id"]])
    done = await jobs.status(job["id"], "completed", "failed")
    assert done["status"] == "completed", done["error"]
    assert Path(done["path"]).read_bytes() == (media_root / "big.mp4").read_bytes()


@pytest.mark.parametrize("path", ["hold/hls/master.m3u8", "big.html"])
async def test_cancel_leaves_no_partial_files(server: MediaServer, jobs: Jobs, path: str) -> None:
    job = await jobs.engine.add(server.url(path), {"quality": "360p"})
    await jobs.progress(job["id"])
    await jobs.engine.cancel([job["id"]])
    assert jobs.engine.get(job["id"])["status"] == "cancelled"
    assert job_workers(jobs.engine) == []
    assert jobs.leftovers() == []


async def test_a_worker_killed_with_sigkill_fails_its_job_and_nothing_else(
    server: MediaServer, jobs: Jobs
) -> None:
    job = await jobs.engine.add(server.url("hold/hls/master.m3u8"), {})
    await jobs.progress(job["id"])
    (pid,) = job_workers(jobs.engine)
    os.kill(pid, signal.SIGKILL)
    failed = await jobs.status(job["id"], "failed", "completed")
    assert failed["status"] == "failed"
    assert "signal 9" in failed["error"]["message"]
    server.set_gate(True)
    after = await jobs.download(server.url("page.html"))  # the engine goes on
    assert after["status"] == "completed", after["error"]


async def test_without_ffmpeg_dash_gives_the_video_alone_and_says_why(
    server: MediaServer, jobs: Jobs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-ffmpeg"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    job = await jobs.download(server.url("f/dash/manifest.mpd"), quality="720p")
    assert job["status"] == "completed", job["error"]
    assert kinds(Path(job["path"])) == {"video"}
    note = job["media"]["note"]
    assert "ffmpeg" in note and "no audio" in note
    assert any("ffmpeg" in line for line in jobs.logs(job["id"]))


async def test_media_mode_refuses_a_page_without_media_when_added(
    server: MediaServer, jobs: Jobs
) -> None:
    with pytest.raises(UrlNotSupported) as refused:
        await jobs.engine.add(server.url("nothing.html"), {"mode": "media"})
    assert refused.value.code == -32010
    assert "unsupported" in str(refused.value).lower()
    assert (await jobs.engine.list())["jobs"] == []


async def test_a_page_without_media_fails_as_unsupported(server: MediaServer, jobs: Jobs) -> None:
    job = await jobs.download(server.url("nothing.html"))
    assert job["status"] == "failed"
    assert job["error"]["code"] == "unsupported"
    # What the URL turned out to be, not yt-dlp's "Unsupported URL: <the same URL>".
    assert job["error"]["message"].startswith("not a file but a web page (text/html)")
    assert "no media" in job["error"]["message"]
    assert jobs.leftovers() == []  # not even an empty folder for its fragments


async def test_a_page_with_two_videos_becomes_one_job_per_entry(
    server: MediaServer, jobs: Jobs
) -> None:
    page = await jobs.download(server.url("two.html"))
    assert "a playlist of 2 entries: one job each" in jobs.logs(page["id"]), page["error"]
    listed = (await jobs.engine.list())["jobs"]
    assert len(listed) == 2, listed  # the page's job became the first entry; one more was added
    finished = [await jobs.status(j["id"], "completed", "failed") for j in listed]
    assert [j["status"] for j in finished] == ["completed", "completed"], [
        j["error"] for j in finished
    ]
    by_index = {j["playlist"]["index"]: j for j in finished}
    assert sorted(by_index) == [1, 2] and {j["playlist"]["count"] for j in finished} == {2}
    assert by_index[1]["id"] == page["id"]
    # Each entry is its own video: video.mp4 is 640x360, big.mp4 320x180.
    assert [video_height(Path(by_index[i]["path"])) for i in (1, 2)] == [360, 180]


async def test_a_stalled_download_is_retried_and_then_completes(
    server: MediaServer, tmp_path: Path
) -> None:
    jobs = await open_jobs(tmp_path, stall_timeout=1.0, retries=2)
    try:
        job = await jobs.engine.add(server.url("hold/hls/master.m3u8"), {"quality": "360p"})
        await jobs.wait_for(
            lambda e: e.job == job["id"] and "retrying" in str(e.data.get("message"))
        )
        server.set_gate(True)
        done = await jobs.status(job["id"], "completed", "failed")
    finally:
        await jobs.close()
    assert done["status"] == "completed", done["error"]
    assert video_height(Path(done["path"])) == 360


async def test_the_same_title_twice_gets_a_new_name_or_is_skipped(
    server: MediaServer, jobs: Jobs
) -> None:
    url = server.url("f/dash/manifest.mpd")
    first = await jobs.download(url, quality="360p")
    second = await jobs.download(url, quality="360p")
    assert (first["filename"], second["filename"]) == ("manifest.mp4", "manifest (1).mp4")
    skipped = await jobs.download(url, quality="360p", on_duplicate="skip")
    assert skipped["status"] == "completed" and skipped["path"] == first["path"]
    assert jobs.leftovers() == ["Video", "Video/manifest (1).mp4", "Video/manifest.mp4"]
