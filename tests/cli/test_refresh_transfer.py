"""``idm refresh``, ``idm export``, ``idm import`` and the retry time in ``idm ls``/``idm info``,
as processes against real daemons and a real file server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from tests.cli.conftest import PAYLOAD, Files, idm
from tests.cli.test_cli import wait_status
from tests.daemon_process import DaemonProcess
from tests.engine.servers import expired_link_site, payload

BIG = payload(3 * 1024 * 1024)


@pytest.fixture
async def links() -> AsyncIterator[TestServer]:
    server = await expired_link_site(BIG, 400 * 1024, payload(1000, seed=3))
    yield server
    await server.close()


def url(server: TestServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


async def test_refresh_continues_an_expired_download_and_refuses_another_file(
    daemon: DaemonProcess, links: TestServer
) -> None:
    added = await idm("add", url(links, "/old"), "--json", home=daemon.home)
    job_id = json.loads(added.out)["id"]
    await wait_status(daemon, job_id, "failed")
    part = daemon.download_dir / "old.part"
    before = part.read_bytes()

    refused = await idm("refresh", job_id, url(links, "/other"), home=daemon.home)
    assert refused.status == 1
    assert f"size 1000 ≠ {len(BIG)}" in refused.err
    assert part.read_bytes() == before

    accepted = await idm("refresh", job_id, url(links, "/new"), home=daemon.home)
    assert accepted.status == 0, accepted
    assert "kept" in accepted.out
    await wait_status(daemon, job_id, "completed")
    assert (daemon.download_dir / "old").read_bytes() == BIG

    again = await idm("refresh", job_id, url(links, "/new"), home=daemon.home)
    assert again.status == 1 and "paused or failed" in again.err


async def test_ls_and_info_show_when_a_failed_download_comes_back(
    daemon: DaemonProcess, links: TestServer
) -> None:
    added = await idm("add", url(links, "/busy"), "--json", home=daemon.home)
    job_id = json.loads(added.out)["id"]
    await wait_status(daemon, job_id, "failed")
    info = await idm("info", job_id, "--json", home=daemon.home)
    for _ in range(50):  # the retry time is set just after the status changes
        if "retry_at" in json.loads(info.out):
            break
        info = await idm("info", job_id, "--json", home=daemon.home)
    assert "retry_at" in json.loads(info.out)
    listing = await idm("ls", home=daemon.home)
    assert "HTTP 503" in listing.out and "(retry 1 at" in listing.out
    shown = await idm("info", job_id, home=daemon.home)
    assert "retry_at:" in shown.out and "automatic retry 1" in shown.out
    off = await idm("config", "set", "auto_retry", "off", home=daemon.home)
    assert off.status == 0 and "auto_retry = false" in off.out
    assert "retry_at" not in json.loads((await idm("info", job_id, "--json", home=daemon.home)).out)


async def test_export_and_import_on_another_machine_keep_the_history(
    daemon: DaemonProcess, files: Files, tmp_path: Path
) -> None:
    done = await idm("add", files.url("/file.bin"), "--wait", home=daemon.home)
    failed = await idm("add", files.url("/missing.bin"), "--wait", home=daemon.home)
    paused = await idm(
        "add", files.url("/slow.bin"), "--start", "paused", "--json", home=daemon.home
    )
    ids = {
        done.out.split()[0]: "completed",
        failed.out.split()[0]: "failed",
        json.loads(paused.out)["id"]: "paused",
    }
    export = tmp_path / "jobs.json"
    written = await idm("export", str(export), home=daemon.home)
    assert written.status == 0, written
    urls = await idm("export", "--format", "urls", home=daemon.home)
    assert sorted(urls.out.split()) == sorted(
        files.url(p) for p in ("/file.bin", "/missing.bin", "/slow.bin")
    )

    (tmp_path / "other-machine").mkdir()
    other = DaemonProcess(tmp_path / "other-machine").start()
    try:
        imported = await idm("import", str(export), home=other.home)
        assert imported.status == 0, imported
        assert "imported 3 jobs: 0 queued, 1 paused, 2 into the history" in imported.out
        jobs = {
            j["id"]: j for j in json.loads((await idm("ls", "--json", home=other.home)).out)["jobs"]
        }
        assert {job_id: job["status"] for job_id, job in jobs.items()} == ids
        completed = jobs[done.out.split()[0]]
        assert (
            completed["size"] == len(PAYLOAD)
            and completed["finished_at"]
            and completed["path"] is None
        )
        assert "404" in jobs[failed.out.split()[0]]["error"]["message"]
        twice = await idm("import", str(export), home=other.home)
        assert "imported 0 jobs" in twice.out and "3 already here" in twice.out
        # The round trip: exported again from the other machine, the same history.
        back = json.loads((await idm("export", home=other.home)).out)["jobs"]
        first = json.loads(export.read_text())["jobs"]
        keys = ("id", "url", "status", "filename", "size", "created_at", "finished_at")
        assert [{k: j.get(k) for k in keys} for j in back] == [
            {k: j.get(k) for k in keys} for j in first
        ]
    finally:
        other.stop()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"idm": "jobs", "version": 9, "jobs": []}', "version 9"),
        ('{"hello": 1}', "not an idm export"),
        (
            (
                '{"idm": "jobs", "version": 1,'
                ' "jobs": [{"url": "http://127.0.0.1/a"}, {"url": "ftp://x/y"}]}'
            ),
            "jobs[1].url",
        ),
        (
            (
                '{"idm": "jobs", "version": 1,'
                ' "jobs": [{"url": "http://127.0.0.1/a", "status": "lost"}]}'
            ),
            "jobs[0].status",
        ),
    ],
)
async def test_a_bad_import_file_is_refused_and_nothing_is_added(
    daemon: DaemonProcess, tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = await idm("import", str(bad), home=daemon.home)
    assert result.status != 0 and message in result.err, result
    assert json.loads((await idm("ls", "--json", home=daemon.home)).out)["jobs"] == []


async def test_a_list_of_urls_is_imported_as_queued_jobs(
    daemon: DaemonProcess, files: Files
) -> None:
    listed = f"# a list\n{files.url('/file.bin')}\n\n"
    result = await idm("import", "-", home=daemon.home, stdin=listed)
    assert result.status == 0 and "imported 1 jobs: 1 queued" in result.out, result
