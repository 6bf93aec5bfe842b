"""aria2p, the Python aria2 client, drives a real idmd through ``/jsonrpc``:
downloads land with the right bytes, the queue verbs work, notifications arrive,
and idm's own clients see the same jobs."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest

from idmd.client import Client
from tests.aria2.conftest import Files, Notifications, call
from tests.daemon_process import DaemonProcess

aria2p = pytest.importorskip("aria2p")


def api_for(daemon: DaemonProcess) -> Any:
    return aria2p.API(aria2p.Client(host="http://127.0.0.1", port=daemon.port, secret=daemon.token))


async def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """aria2p is synchronous: call it on a thread so the file server keeps serving."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def test_downloads_complete_with_the_right_bytes_and_notifications(
    idmd: DaemonProcess, files: Files, notifications: Notifications
) -> None:
    api = api_for(idmd)
    one = await run(
        api.add_uris, [files.url("one.bin")], {"split": "4", "max-connection-per-server": "4"}
    )
    two = await run(
        api.add_uris, [files.url("two.bin")], {"out": "renamed.bin", "user-agent": "aria2p-test"}
    )
    for download in (one, two):
        assert len(download.gid) == 16 and int(download.gid, 16) >= 0
        await notifications.wait_for("start", download.gid)
        await notifications.wait_for("complete", download.gid)

    downloads = {d.gid: d for d in await run(api.get_downloads)}
    assert {one.gid, two.gid} <= set(downloads)
    for download, name, served in ((one, "one.bin", "one.bin"), (two, "renamed.bin", "two.bin")):
        got = downloads[download.gid]
        assert got.status == "complete"
        assert got.total_length == got.completed_length == len(files.data[served])
        path = idmd.download_dir / name
        assert str(got.files[0].path) == str(path)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == files.sha256(served)

    options = (await run(api.get_options, [two]))[0]
    assert options.get("out") == "renamed.bin"
    assert options.get("user-agent") == "aria2p-test"
    assert (await run(api.get_options, [one]))[0].get("split") == "4"
    stats = await run(api.get_stats)
    assert stats.num_active == 0 and stats.num_stopped_total >= 2


async def test_pause_resume_remove_and_purge(
    idmd: DaemonProcess, files: Files, notifications: Notifications
) -> None:
    api = api_for(idmd)
    gated = await run(api.add_uris, [files.url("gated.bin")])
    await notifications.wait_for("start", gated.gid)
    assert (await run(api.get_download, gated.gid)).status == "active"
    assert (await run(api.get_stats)).num_active == 1

    await run(api.pause, [gated])
    await notifications.wait_for("pause", gated.gid)
    assert (await run(api.get_download, gated.gid)).status == "paused"
    assert [d.gid for d in await run(api.get_downloads) if d.status == "paused"] == [gated.gid]

    notifications.seen.clear()
    await run(api.resume, [gated])
    await notifications.wait_for("start", gated.gid)
    files.gate.set()
    await notifications.wait_for("complete", gated.gid)
    assert hashlib.sha256(
        (idmd.download_dir / "gated.bin").read_bytes()
    ).hexdigest() == files.sha256("gated.bin")

    # remove: a waiting download stops and stays listed as "removed" until purged.
    later = await run(api.add_uris, [files.url("two.bin")], {"pause": "true"})
    assert (await run(api.get_download, later.gid)).status == "paused"
    assert await run(api.client.remove, later.gid) == later.gid
    await notifications.wait_for("stop", later.gid)
    assert (await run(api.get_download, later.gid)).status == "removed"
    assert await run(api.purge)
    assert await run(api.get_downloads) == []
    gone = await call(idmd, "aria2.tellStatus", later.gid)
    assert gone["error"] == {"code": 1, "message": f"GID {later.gid} is not found"}


async def test_options_and_global_options_map_onto_idm(idmd: DaemonProcess, files: Files) -> None:
    api = api_for(idmd)
    paused = await run(
        api.add_uris,
        [files.url("one.bin")],
        {
            "pause": "true",
            "max-download-limit": "512K",
            "all-proxy": "http://proxy:3128",
            "all-proxy-user": "u",
            "all-proxy-passwd": "pw!",
            "bt-max-peers": "5",
        },
    )
    options = (await run(api.get_options, [paused]))[0]
    assert options.get("all-proxy") == "http://u@proxy:3128"  # idm's proxy, its password kept apart
    assert options.get("max-download-limit") == str(512 * 1024)
    assert options.get("pause") == "true"
    assert await run(api.set_options, {"max-download-limit": "1M", "split": "64"}, [paused]) == [
        True
    ]
    options = (await run(api.get_options, [paused]))[0]
    assert options.get("max-download-limit") == str(1 << 20)
    assert options.get("split") == "32"  # idm's ceiling
    assert "ignored options idm has no feature for: bt-max-peers" in idmd.stderr()

    assert await run(
        api.set_global_options,
        {"max-concurrent-downloads": "5", "max-overall-download-limit": "2M"},
    )
    glob = await run(api.get_global_options)
    assert glob.get("max-concurrent-downloads") == "5"
    assert glob.get("max-overall-download-limit") == str(2 << 20)
    async with await Client.connect(
        url=idmd.url, token=idmd.token, codec="json", reconnect=False
    ) as client:
        config = await client.call("config.get")
    assert config["max_active"] == 5 and config["speed_limit"] == 2 << 20


async def test_idm_clients_and_aria2_clients_see_the_same_jobs(
    idmd: DaemonProcess, files: Files, notifications: Notifications
) -> None:
    api = api_for(idmd)
    async with await Client.connect(
        url=idmd.url, token=idmd.token, codec="json", reconnect=False
    ) as client:
        events = client.subscribe(types=["job.added"])
        first = await anext(events)
        assert first["type"] == "snapshot"
        added = await run(api.add_uris, [files.url("two.bin")], {"pause": "true"})
        event = await anext(events)
        assert event["type"] == "job.added"
        job_id = event["job"]
        assert added.gid.endswith(job_id) and added.gid[0] == f"{len(job_id):x}"

        job = await client.call("jobs.add", {"url": files.url("one.bin")})
        gid = f"{len(job['id']):x}{job['id']:0>15}"
        await notifications.wait_for("complete", gid)
        assert (await run(api.get_download, gid)).status == "complete"
        await client.call("jobs.resume", {"ids": [job_id]})
        await notifications.wait_for("complete", added.gid)


async def test_change_position_reorders_the_waiting_queue(
    idmd: DaemonProcess, files: Files
) -> None:
    api = api_for(idmd)
    gids = [
        (await run(api.add_uris, [files.url("two.bin") + f"?{n}"], {"pause": "true"})).gid
        for n in range(4)
    ]
    order = [d.gid for d in await run(api.get_downloads)]
    assert order == gids
    assert await run(api.client.change_position, gids[3], 1, "POS_SET") == 1
    assert await run(api.client.change_position, gids[0], 0, "POS_END") == 3
    assert await run(api.client.change_position, gids[2], -1, "POS_CUR") == 1
    waiting = (await call(idmd, "aria2.tellWaiting", 0, 10, ["gid"]))["result"]
    assert [w["gid"] for w in waiting] == [gids[3], gids[2], gids[1], gids[0]]
    assert (await call(idmd, "aria2.tellWaiting", -1, 2, ["gid"]))["result"] == [
        {"gid": gids[0]},
        {"gid": gids[1]},
    ]
