"""The ``playlist`` job option: a playlist URL becomes one job per entry, or
with ``playlist: false`` fails the job saying how many entries it has."""

from __future__ import annotations

from tests.media.conftest import Jobs
from tests.media.media_server import MediaServer


async def test_a_playlist_becomes_one_job_per_entry(server: MediaServer, jobs: Jobs) -> None:
    await jobs.download(server.url("two.html"), playlist=True)
    grouped = [j for j in (await jobs.engine.list())["jobs"] if j.get("playlist")]
    assert sorted(j["playlist"]["index"] for j in grouped) == [1, 2]


async def test_playlist_false_fails_the_job_instead(server: MediaServer, jobs: Jobs) -> None:
    job = await jobs.download(server.url("two.html"), playlist=False)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "playlist" and "2 entries" in job["error"]["message"]
    listed = (await jobs.engine.list())["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]  # no job was added for the entries
