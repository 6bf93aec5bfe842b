"""The media worker and probe_media against real media on 127.0.0.1.

These go through the real ``python -m idmd.engine.media_worker`` process;
the engine-level behaviour (jobs, pause, cancel) is in test_media_jobs.py.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from idmd.core.formats import choose_format
from idmd.engine.media import probe_media
from idmd.engine.media.process import WorkerProcess, run_worker
from idmd.protocol.errors import UrlNotSupported
from tests.media.helpers import kinds, video_height
from tests.media.media_server import MediaServer

pytestmark = pytest.mark.media


def download_request(
    server: MediaServer, path: str, folder: Path, quality: str = "best", ffmpeg: bool = True
) -> dict:
    return {
        "mode": "download",
        "url": server.url(path),
        "format": choose_format(quality, ffmpeg=ffmpeg).selector,
        "ffmpeg": shutil.which("ffmpeg") if ffmpeg else None,
        "dir": str(folder),
        "temp_dir": str(folder),
        "outtmpl": "media.%(ext)s",
        "fragments": 4,
    }


async def test_probe_of_an_hls_master_lists_360p_and_720p(server: MediaServer) -> None:
    result = await probe_media(server.url("f/hls/master.m3u8"), {})
    assert result["kind"] == "media"
    assert {"360p", "720p", "best"} <= set(result["qualities"])
    assert "1080p" not in result["qualities"]
    assert sorted(f["height"] for f in result["formats"]) == [360, 720]
    assert result["filename"].endswith(".mp4")


async def test_probe_of_dash_sees_separate_audio_and_both_heights(server: MediaServer) -> None:
    result = await probe_media(server.url("f/dash/manifest.mpd"), {})
    assert {"360p", "720p", "audio"} <= set(result["qualities"])
    audio = [f for f in result["formats"] if f["vcodec"] == "none"]
    assert len(audio) == 1 and audio[0]["acodec"].startswith("mp4a")


async def test_an_html_page_with_a_video_is_media_named_after_the_page(server: MediaServer) -> None:
    result = await probe_media(server.url("page.html"), {})
    assert result["kind"] == "media"
    assert result["filename"].startswith("Page video") and result["filename"].endswith(".mp4")


async def test_a_page_with_two_videos_is_a_playlist_of_two_entries(server: MediaServer) -> None:
    result = await probe_media(server.url("two.html"), {})
    assert result["kind"] == "playlist"
    urls = [e["url"] for e in result["entries"]]
    assert urls == [server.url("f/video.mp4"), server.url("f/big.mp4")]


async def test_a_page_without_media_is_not_supported(server: MediaServer) -> None:
    with pytest.raises(UrlNotSupported) as caught:
        await probe_media(server.url("nothing.html"), {})
    assert caught.value.data == {"reason": "unsupported"}


async def test_quality_360p_from_hls_gives_a_360p_file(server: MediaServer, tmp_path: Path) -> None:
    outcome = await run_worker(download_request(server, "f/hls/master.m3u8", tmp_path, "360p"))
    assert outcome.result is not None, outcome.message()
    assert video_height(Path(outcome.result["path"])) == 360


async def test_dash_gives_one_file_with_audio_and_video(
    server: MediaServer, tmp_path: Path
) -> None:
    outcome = await run_worker(download_request(server, "f/dash/manifest.mpd", tmp_path, "720p"))
    assert outcome.result is not None, outcome.message()
    path = Path(outcome.result["path"])
    assert kinds(path) == {"video", "audio"}
    assert video_height(path) == 720
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no leftover streams


async def test_without_ffmpeg_dash_falls_back_to_a_single_stream(
    server: MediaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # the worker finds no ffmpeg
    outcome = await run_worker(
        download_request(server, "f/dash/manifest.mpd", tmp_path, "720p", ffmpeg=False)
    )
    assert outcome.result is not None, outcome.message()
    assert "+" not in outcome.result["format"]  # no merge was attempted
    assert Path(outcome.result["path"]).stat().st_size > 0


async def test_a_stopped_worker_keeps_the_part_and_the_next_one_continues_it(
    server: MediaServer, media_root: Path, tmp_path: Path
) -> None:
    request = download_request(server, "gate/big.mp4", tmp_path)
    first = WorkerProcess(request)
    await first.start()
    async for message in first.messages():
        # Well before the gate: yt-dlp's last read before it would block for its timeout.
        if message["type"] == "progress" and message["downloaded"] >= server.gate_at // 4:
            break
    await first.stop()
    part = tmp_path / "media.mp4.part"
    kept = part.stat().st_size
    assert kept > 0
    server.set_gate(True)
    second = await asyncio.wait_for(run_worker(request), 60)
    assert second.result is not None, second.message()
    assert Path(second.result["path"]).read_bytes() == (media_root / "big.mp4").read_bytes()
    assert server.ranges("/gate/big.mp4")[-1] == f"bytes={kept}-"


async def test_a_worker_given_garbage_answers_with_an_error_not_a_traceback() -> None:
    outcome = await run_worker({"mode": "nonsense"})
    assert outcome.error is not None and outcome.error["kind"] == "request"
