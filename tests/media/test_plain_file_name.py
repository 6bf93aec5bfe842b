"""A media job whose URL is a plain file keeps the file's own name (issue 13, bug 14).

yt-dlp's generic extractor takes any URL, names it after the path without its
extension and, for a type it does not know, says ``unknown_video``:
``idm add --mode media …/hello.txt`` saved ``hello.unknown_video``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from idmd.engine.media.plain_name import plain_file_name
from tests.media.conftest import Jobs
from tests.media.media_server import MediaServer

pytestmark = pytest.mark.media


async def test_a_text_file_fetched_in_media_mode_keeps_its_name(
    server: MediaServer, jobs: Jobs, media_root: Path
) -> None:
    (media_root / "hello.txt").write_text("hello, world\n")
    job = await jobs.download(server.url("f/hello.txt"), mode="media")
    assert job["status"] == "completed", job["error"]
    assert Path(job["path"]).name == "hello.txt"
    assert Path(job["path"]).read_text() == "hello, world\n"


async def test_the_probe_in_media_mode_suggests_the_same_name(
    server: MediaServer, jobs: Jobs, media_root: Path
) -> None:
    (media_root / "notes.txt").write_text("notes\n")
    probe = await jobs.engine.probe(server.url("f/notes.txt"), {"mode": "media"})
    assert probe["filename"] == "notes.txt"


def test_only_an_unknown_type_takes_the_name_from_the_url() -> None:
    assert plain_file_name("http://h/d/hello.txt?x=1", "unknown_video") == "hello.txt"
    assert plain_file_name("http://h/d/a%20b.txt", "unknown_video") == "a b.txt"
    assert plain_file_name("http://h/watch?v=1", "unknown_video") is None  # no name: the title's
    assert plain_file_name("http://h/d/clip.mp4", "mp4") is None  # a known type: the title's
