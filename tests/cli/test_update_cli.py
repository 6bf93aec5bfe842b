"""``idm set``: change a download's options from the command line, a real daemon and a
local file server; the daemon's ``Update`` policy decides what may change when."""

from __future__ import annotations

from idmd.client import Client
from tests.cli.conftest import Files, idm
from tests.daemon_process import DaemonProcess


async def test_set_gives_a_paused_download_a_category_and_refuses_unknown_ones(
    daemon: DaemonProcess, files: Files
) -> None:
    added = await idm(
        "add", files.url("/file.bin"), "--start", "paused", "--json", home=daemon.home
    )
    assert added.status == 0, added
    async with await Client.connect(daemon.url, daemon.token) as client:
        job_id = (await client.call("jobs.list", {}))["jobs"][0]["id"]
    changed = await idm(
        "set", job_id, "--category", "documents", "--after", "none", "-c", "2", home=daemon.home
    )
    assert changed.status == 0, changed
    assert changed.out.strip() == f"{job_id} paused: connections=2, category=Documents, after=none"
    refused = await idm("set", job_id, "--category", "Nope", home=daemon.home)
    assert refused.status == 1 and "patch.category: no category 'Nope'" in refused.err
    nothing = await idm("set", job_id, home=daemon.home)
    assert nothing.status != 0 and "nothing to change" in nothing.err
    resumed = await idm("resume", job_id, home=daemon.home)
    assert resumed.status == 0, resumed
    async with await Client.connect(daemon.url, daemon.token) as client:
        async for item in client.subscribe(since=0, jobs=[job_id], types=["job.status"]):
            if item.get("type") == "job.status" and item["data"]["status"] == "completed":
                break
        job = await client.call("jobs.get", {"id": job_id})
    assert job["path"] == str((daemon.download_dir / "Documents" / "file.bin").resolve())
