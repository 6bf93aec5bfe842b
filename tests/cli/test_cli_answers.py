"""``idm`` tells the user what happened to each thing they asked for: every id's
outcome, a question that waits for them, a folder relative to where they are, and a
file name that cannot be honoured refused before anything is added."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from idmd.client import Client
from tests.cli.conftest import PAYLOAD, ROOT, Files, idm
from tests.daemon_process import DaemonProcess


async def test_pause_reports_every_id(daemon: DaemonProcess, files: Files) -> None:
    added = await idm("add", files.url("/slow.bin"), "--json", home=daemon.home)
    good = json.loads(added.out)["id"]

    result = await idm("pause", good, "nosuchjob", home=daemon.home)

    assert result.status == 1
    assert result.out.split() == [good, "paused"]
    assert "nosuchjob" in result.err and "no job" in result.err


async def test_a_relative_folder_is_the_users_not_the_daemons(
    daemon: DaemonProcess, files: Files, tmp_path: Path
) -> None:
    here = tmp_path / "where-the-user-is"
    here.mkdir()

    result = await idm(
        "add", "-d", "rel/sub", files.url("/file.bin"), "--wait", home=daemon.home, cwd=here
    )

    assert result.status == 0, result
    assert (here / "rel" / "sub" / "file.bin").read_bytes() == PAYLOAD


async def test_a_file_name_that_cannot_be_honoured_is_refused(
    daemon: DaemonProcess, files: Files
) -> None:
    two = await idm(
        "add", "-o", "x.bin", files.url("/file.bin"), files.url("/slow.bin"), home=daemon.home
    )
    path = await idm("add", "-o", "sub/x.bin", files.url("/file.bin"), home=daemon.home)

    assert two.status != 0 and "one URL" in two.err
    assert path.status != 0 and "not a path" in path.err
    listing = json.loads((await idm("ls", "--json", home=daemon.home)).out)
    assert listing["jobs"] == []  # nothing was added


async def test_a_duplicate_question_is_shown_and_answered_with_resolve(
    daemon: DaemonProcess, files: Files
) -> None:
    daemon.download_dir.mkdir(parents=True, exist_ok=True)
    (daemon.download_dir / "file.bin").write_bytes(b"the user's own file")
    async with await Client.connect(daemon.url, daemon.token) as client:
        await client.call("config.set", {"patch": {"on_duplicate": "ask"}})
    env = dict(os.environ, IDM_HOME=str(daemon.home))
    waiting = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "idmd.cli.main",
        "add",
        files.url("/file.bin"),
        "--wait",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert waiting.stderr is not None
    question = (await asyncio.wait_for(waiting.stderr.readline(), 30)).decode()
    assert "file.bin exists" in question and "idm resolve" in question
    job_id = question.split()[0]

    info = await idm("info", job_id, home=daemon.home)
    assert "waiting for an answer" in info.out
    answered = await idm("resolve", job_id, "rename", home=daemon.home)
    assert answered.status == 0, answered

    out, _ = await asyncio.wait_for(waiting.communicate(), 30)
    assert waiting.returncode == 0, out
    assert (daemon.download_dir / "file.bin").read_bytes() == b"the user's own file"
    renamed = [
        p for p in daemon.download_dir.iterdir() if p.name != "file.bin" and p.suffix == ".bin"
    ]
    assert [p.read_bytes() for p in renamed] == [PAYLOAD]


async def test_a_quality_for_a_plain_file_is_said_to_be_unused(
    daemon: DaemonProcess, files: Files
) -> None:
    result = await idm(
        "add", "--quality", "720p", files.url("/file.bin"), "--wait", home=daemon.home
    )

    assert result.status == 0, result
    assert "options.quality not used: the URL is a plain file" in result.err
    assert (daemon.download_dir / "file.bin").read_bytes() == PAYLOAD
