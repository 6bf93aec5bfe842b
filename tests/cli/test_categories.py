"""Categories and after-actions end to end: a real idmd with a config.toml, a local
file server, ``idm`` as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from idmd.client import Client
from idmd.protocol.errors import InvalidParams
from tests.cli.conftest import idm
from tests.daemon_process import DaemonProcess

BODY = b"PK\x03\x04" + bytes(range(256)) * 64


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    async def archive(request: web.Request) -> web.StreamResponse:
        return web.Response(body=BODY)

    app = web.Application()
    app.router.add_get("/{name}", archive)
    test_server = TestServer(app, host="127.0.0.1", port=0)
    await test_server.start_server()
    yield test_server
    await test_server.close()


@pytest.fixture
def configured(idm_home: Path) -> Iterator[DaemonProcess]:
    """A daemon whose Compressed category runs a small Python script on each file."""
    script = idm_home / "record.py"
    script.write_text("import json, sys\nopen(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))\n")
    record = idm_home / "record.json"
    (idm_home / "config.toml").write_text(
        '[categories.Compressed]\nafter = "record"\n\n'
        f"[actions.record]\nrun = [{json.dumps(sys.executable)}, {json.dumps(str(script))}, "
        f'{json.dumps(str(record))}, "{{name}}", "{{path}}"]\n'
    )
    process = DaemonProcess(idm_home).start()
    yield process
    if process.proc is not None and process.proc.poll() is None:
        process.stop()


def url(server: TestServer, name: str) -> str:
    return f"http://127.0.0.1:{server.port}/{name}"


async def test_a_zip_lands_in_compressed_runs_its_action_and_ls_shows_it(
    configured: DaemonProcess, server: TestServer
) -> None:
    added = await idm("add", url(server, "backup.zip"), "--wait", home=configured.home)
    assert added.status == 0, added
    target = configured.download_dir / "Compressed" / "backup.zip"
    assert target.read_bytes() == BODY
    listing = await idm("ls", home=configured.home)
    header, row = listing.out.splitlines()[:2]
    assert header.split()[-2:] == ["CATEGORY", "NAME"] and row.split()[-2:] == [
        "Compressed",
        "backup.zip",
    ]
    job_id = row.split()[0]
    async with await Client.connect(configured.url, configured.token) as client:
        async for item in client.subscribe(since=0, jobs=[job_id], types=["job.log"]):
            if item.get("type") == "job.log" and "exit status" in item["data"]["message"]:
                assert item["data"]["message"].endswith(": exit status 0")
                break
    assert json.loads((configured.home / "record.json").read_text()) == [
        "backup.zip",
        str(target.resolve()),
    ]


async def test_add_category_chooses_the_folder_and_an_unknown_one_is_refused(
    daemon: DaemonProcess, server: TestServer
) -> None:
    added = await idm(
        "add", url(server, "notes.zip"), "--category", "documents", "--wait", home=daemon.home
    )
    assert added.status == 0, added
    assert (daemon.download_dir / "Documents" / "notes.zip").read_bytes() == BODY
    info = await idm("info", added.out.split()[0], home=daemon.home)
    assert "category:    Documents" in info.out
    refused = await idm("add", url(server, "x.zip"), "--category", "Nope", home=daemon.home)
    assert refused.status == 1
    assert (
        "options.category: no category 'Nope'"
        " (known: Compressed, Documents, Music, Programs, Video)" in refused.err
    )


async def test_a_category_folder_outside_the_download_folder_is_refused(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    async with await Client.connect(daemon.url, daemon.token) as client:
        with pytest.raises(
            InvalidParams, match=r"categories\.Films\.folder: .* is outside the download folder"
        ):
            await client.call(
                "config.set", {"patch": {"categories": {"Films": {"folder": str(outside)}}}}
            )
        with pytest.raises(InvalidParams, match=r"leaves the download folder"):
            await client.call(
                "config.set", {"patch": {"categories": {"Films": {"folder": "../Films"}}}}
            )
        assert (await client.call("config.get"))["categories"] == {}
    inside = await idm(
        "config",
        "set",
        "categories",
        '{Films = {folder = "Films", extensions = ["mkv"]}}',
        home=daemon.home,
    )
    assert inside.status == 0, inside
    off = await idm("config", "set", "use_categories", "false", home=daemon.home)
    assert off.out.strip() == "use_categories = false"


def test_the_daemon_will_not_start_with_a_category_folder_outside(
    idm_home: Path, tmp_path: Path
) -> None:
    (idm_home / "config.toml").write_text(
        f'[categories.Films]\nfolder = "{tmp_path / "elsewhere"}"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "idmd", "--port", "0"],
        check=False,
        cwd=idm_home,
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ, IDM_HOME=str(idm_home)),
    )
    assert done.returncode == 2
    assert (
        "categories.Films.folder" in done.stderr and "is outside the download folder" in done.stderr
    )
