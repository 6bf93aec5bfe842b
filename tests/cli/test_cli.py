"""``idm`` end to end: a real idmd, a real local file server, idm as a process."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from idmd.client import Client
from tests.cli.conftest import PAYLOAD, Files, idm
from tests.daemon_process import DaemonProcess
from tests.rpc.wsutil import connect

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")  # every time in --json output


async def wait_status(daemon: DaemonProcess, job_id: str, status: str, timeout: float = 20) -> None:
    """Wait for the job's status event (through the client library, no polling)."""
    async with await Client.connect(daemon.url, daemon.token) as client:
        async with asyncio.timeout(timeout):
            async for item in client.subscribe(jobs=[job_id]):
                if item["type"] == "snapshot":
                    if any(j["status"] == status for j in item["snapshot"]["jobs"]):
                        return
                elif item["type"] == "job.status" and item["data"]["status"] == status:
                    return


async def test_add_wait_downloads_the_file_and_exits_0(daemon: DaemonProcess, files: Files) -> None:
    result = await idm("add", files.url("/file.bin"), "-c", "2", "--wait", home=daemon.home)
    assert result.status == 0, result
    job_id = result.out.split()[0]
    assert "completed" in result.out
    assert (daemon.download_dir / "file.bin").read_bytes() == PAYLOAD
    listing = await idm("ls", "--json", home=daemon.home)
    jobs = json.loads(listing.out)["jobs"]
    assert [(j["id"], j["status"]) for j in jobs] == [(job_id, "completed")]
    table = await idm("ls", "--status", "completed", home=daemon.home)
    assert table.out.splitlines()[0].split() == [
        "ID",
        "STATUS",
        "DONE",
        "SIZE",
        "SPEED",
        "ETA",
        "NAME",
    ]
    assert "file.bin" in table.out and "100%" in table.out
    info = await idm("info", job_id, home=daemon.home)
    assert "status:      completed" in info.out and "1048576" in info.out


async def test_a_failed_download_with_wait_exits_5(daemon: DaemonProcess, files: Files) -> None:
    result = await idm("add", files.url("/missing.bin"), "--wait", home=daemon.home)
    assert result.status == 5, result
    assert "failed" in result.out


async def test_pause_resume_cancel_and_rm(daemon: DaemonProcess, files: Files) -> None:
    added = await idm("add", files.url("/slow.bin"), "--json", home=daemon.home)
    job_id = json.loads(added.out)["id"]
    await wait_status(daemon, job_id, "downloading")
    paused = await idm("pause", job_id, home=daemon.home)
    assert paused.status == 0 and paused.out.split() == [job_id, "paused"]
    resumed = await idm("resume", job_id, home=daemon.home)
    assert resumed.status == 0 and job_id in resumed.out
    cancelled = await idm("cancel", job_id, home=daemon.home)
    assert cancelled.status == 0 and "cancelled" in cancelled.out
    removed = await idm("rm", job_id, "--delete-files", home=daemon.home)
    assert removed.status == 0
    assert json.loads((await idm("ls", "--json", home=daemon.home)).out)["jobs"] == []


async def test_errors_are_one_line_with_distinct_statuses(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    missing = await idm("info", "nope", home=daemon.home)
    assert missing.status == 1 and missing.err.count("\n") == 1 and missing.err.startswith("idm: ")
    bad = await idm("add", "http://x.test/a", "-c", "99", home=daemon.home)
    assert bad.status == 1 and "connections" in bad.err
    usage = await idm("frobnicate", home=daemon.home)
    assert usage.status == 2
    empty = tmp_path / "nobody-home"
    empty.mkdir()
    down = await idm("ls", home=empty)
    assert down.status == 3
    assert down.err == "idm: idmd is not running: start it with `idmd` or `idm-tui`\n"
    (empty / "daemon.json").write_text(json.dumps({"url": daemon.url, "pid": daemon.info["pid"]}))
    (empty / "token").write_text("0" * 64)
    wrong = await idm("ls", home=empty)
    assert wrong.status == 4 and wrong.err.startswith("idm: ")


async def test_token_prints_the_token(daemon: DaemonProcess) -> None:
    result = await idm("token", home=daemon.home)
    assert result.status == 0 and result.out.strip() == daemon.token


async def test_probe_describes_a_url(daemon: DaemonProcess, files: Files) -> None:
    result = await idm("probe", files.url("/file.bin"), home=daemon.home)
    assert result.status == 0, result
    assert "file.bin" in result.out and "1048576" in result.out
    as_json = json.loads(
        (await idm("probe", files.url("/file.bin"), "--json", home=daemon.home)).out
    )
    assert as_json["size"] == len(PAYLOAD)


async def test_watch_prints_events_as_json_lines(daemon: DaemonProcess, files: Files) -> None:
    import os
    import sys

    from tests.cli.conftest import ROOT

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "idmd.cli.main",
        "watch",
        "--json",
        "-t",
        "job.added",
        cwd=ROOT,
        env=dict(os.environ, IDM_HOME=str(daemon.home)),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        first = json.loads(await asyncio.wait_for(proc.stdout.readline(), 20))
        assert first["type"] == "snapshot"
        await idm("add", files.url("/file.bin"), home=daemon.home)
        event = json.loads(await asyncio.wait_for(proc.stdout.readline(), 20))
        assert event["type"] == "job.added" and event["data"]["url"] == files.url("/file.bin")
        assert ISO_UTC.fullmatch(event["at"]) and ISO_UTC.fullmatch(
            event["data"]["created_at"]
        )  # one form
    finally:
        proc.terminate()
        await proc.wait()


async def test_pair_approve_gives_the_extension_a_token(daemon: DaemonProcess) -> None:
    extension = await connect(
        daemon.url, headers={"Origin": "chrome-extension://abcdefghijklmnopabcdefghijklmnop"}
    )
    code = (await extension.call("session.pair", {"client": {"name": "Chrome", "version": "0.1"}}))[
        "result"
    ]["code"]
    listed = await idm("pair", "list", home=daemon.home)
    assert code in listed.out and "Chrome" in listed.out
    approved = await idm("pair", "approve", code, home=daemon.home)
    assert approved.status == 0, approved
    event = await extension.next_event()
    assert event["type"] == "pairing.approved"
    token = event["data"]["token"]
    await extension.close()
    again = await connect(daemon.url, token=token)
    assert "result" in await again.call("jobs.list", {})
    await again.close()
    clients = json.loads((await idm("pair", "list", "--json", home=daemon.home)).out)["clients"]
    assert [c["name"] for c in clients] == ["Chrome"]
    assert ISO_UTC.fullmatch(clients[0]["created_at"]), clients  # as the jobs' times
    revoked = await idm("pair", "revoke", clients[0]["id"], home=daemon.home)
    assert revoked.status == 0
    refused = await connect(daemon.url)
    reply = await refused.call("session.hello", {"token": token})
    assert reply["error"]["code"] == -32001
    await refused.close()
    denied = await idm("pair", "deny", "123456", home=daemon.home)
    assert denied.status == 1


async def test_info_finds_a_finished_job_after_the_daemon_restarts(
    daemon: DaemonProcess, files: Files
) -> None:
    result = await idm("add", files.url("/file.bin"), "--wait", home=daemon.home)
    job_id = result.out.split()[0]
    assert daemon.stop() == 0
    daemon.start()  # finished jobs now live only in the history
    info = await idm("info", job_id, home=daemon.home)
    assert info.status == 0, info
    assert "status:      completed" in info.out and "1048576" in info.out
