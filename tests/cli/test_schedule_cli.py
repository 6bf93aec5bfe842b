"""``idm queue …`` and ``idm schedule …`` as processes against a real idmd.

The daemon runs on the real clock here, so each case is one whose answer does
not depend on the time of day: a start time years ahead, a window of every
day from 00:00 to 24:00. The clock-driven behaviour is tested through the RPC
with an injected clock (tests/rpc/test_queues.py).
"""

from __future__ import annotations

import json
from datetime import datetime

from idmd.protocol.schedule import start_time
from tests.cli.conftest import PAYLOAD, Files, idm
from tests.cli.test_cli import wait_status
from tests.daemon_process import DaemonProcess


async def test_a_download_waits_in_a_queue_until_its_start_time_is_cleared(
    daemon: DaemonProcess, files: Files
) -> None:
    made = await idm(
        "queue",
        "set",
        "later",
        "--start-at",
        "2099-01-01T00:00",
        "--stop-when-done",
        home=daemon.home,
    )
    assert made.status == 0, made
    header, row = made.out.splitlines()[:2]
    assert header.split()[:2] == ["QUEUE", "NOW"] and row.split()[:2] == ["later", "closed"]
    assert "2099-01-01T00:00" in row
    added = await idm("add", "--queue", "later", files.url("/file.bin"), "--json", home=daemon.home)
    job = json.loads(added.out)
    assert added.status == 0 and job["status"] == "queued" and job["options"]["queue"] == "later"
    listed = json.loads((await idm("queue", "ls", "--json", home=daemon.home)).out)
    later = next(q for q in listed if q["name"] == "later")
    assert later["jobs"] == {"queued": 1, "downloading": 0} and later["open"] is False
    opened = await idm("queue", "set", "later", "--start-at", "none", home=daemon.home)
    assert opened.out.splitlines()[1].split()[:2] == ["later", "open"]
    await wait_status(daemon, job["id"], "completed")
    assert (daemon.download_dir / "file.bin").read_bytes() == PAYLOAD
    removed = await idm("queue", "rm", "later", home=daemon.home)
    assert removed.status == 0 and removed.out.strip() == "removed queue later"
    names = [
        q["name"] for q in json.loads((await idm("queue", "ls", "--json", home=daemon.home)).out)
    ]
    assert names == ["default"]


async def test_bad_windows_exit_1_naming_what_is_wrong(daemon: DaemonProcess) -> None:
    overlapping = await idm(
        "queue", "set", "q", "-w", "mon-fri 08:00-18:00", "-w", "fri 17:00-19:00", home=daemon.home
    )
    assert overlapping.status == 1
    assert (
        "windows[0] (mon-fri 08:00-18:00) and windows[1] (fri 17:00-19:00) overlap"
        in overlapping.err
    )
    never = await idm("queue", "set", "q", "-w", "mon 09:00-09:00", home=daemon.home)
    assert never.status == 1 and "windows[0].stop" in never.err and "never open" in never.err
    unknown = await idm("add", "--queue", "nosuch", "http://127.0.0.1:9/x", home=daemon.home)
    assert unknown.status == 1 and "options.queue: no queue named 'nosuch'" in unknown.err
    bad_limit = await idm("schedule", "set", "mon 08:00-09:00 fast", home=daemon.home)
    assert bad_limit.status == 1 and "limits[0].limit" in bad_limit.err


async def test_a_speed_window_for_every_minute_sets_the_limit_now(daemon: DaemonProcess) -> None:
    set_ = await idm("schedule", "set", "daily 00:00-24:00 1M", home=daemon.home)
    assert set_.status == 0, set_
    assert "daily 00:00-24:00" in set_.out and "effective 1.0 MiB/s" in set_.out
    shown = json.loads((await idm("schedule", "show", "--json", home=daemon.home)).out)
    assert shown["limit"] == shown["effective"] == 1024 * 1024 and shown["next_change"] is None
    cleared = await idm("schedule", "clear", home=daemon.home)
    assert "no speed windows" in cleared.out and "effective unlimited" in cleared.out


async def test_stopping_and_starting_the_default_queue(daemon: DaemonProcess) -> None:
    stopped = await idm("queue", "stop", "default", home=daemon.home)
    assert stopped.out.splitlines()[1].split()[:2] == ["default", "held"]
    started = await idm("queue", "start", "default", home=daemon.home)
    assert started.out.splitlines()[1].split()[:2] == ["default", "open"]


def test_start_at_takes_the_next_such_time_of_day() -> None:
    now = datetime(2026, 12, 3, 20, 15)
    assert start_time("23:00", now) == "2026-12-03T23:00"
    assert start_time("06:30", now) == "2026-12-04T06:30"
    assert start_time("none", now) is None
    assert start_time("2027-01-01T08:00", now) == "2027-01-01T08:00"


async def test_add_start_at_waits_until_then(daemon: DaemonProcess, files: Files) -> None:
    added = await idm(
        "add", "--start-at", "2099-01-01T08:00", files.url("/file.bin"), "--json", home=daemon.home
    )
    job = json.loads(added.out)
    assert (
        added.status == 0
        and job["status"] == "queued"
        and job["options"]["start_at"] == "2099-01-01T08:00:00"
    )
    bad = await idm("add", "--start-at", "soon", files.url("/file.bin?2"), home=daemon.home)
    assert bad.status == 1 and "options.start_at" in bad.err


async def test_queue_set_max_active_is_shown_kept_and_checked(daemon: DaemonProcess) -> None:
    capped = await idm("queue", "set", "night", "--max-active", "2", home=daemon.home)
    assert capped.status == 0, capped
    header, row = capped.out.splitlines()[:2]
    assert "MAX" in header.split() and row.split()[-1] == "2"  # no next change: MAX is last
    listed = json.loads((await idm("queue", "ls", "--json", home=daemon.home)).out)
    assert {q["name"]: q["max_active"] for q in listed} == {"default": None, "night": 2}
    assert (
        json.loads((daemon.home / "schedule.json").read_text())["queues"]["night"]["max_active"]
        == 2
    )
    refused = await idm("queue", "set", "night", "--max-active", "500", home=daemon.home)
    assert refused.status == 1 and "max_active: must be an integer from 1 to 100" in refused.err
    cleared = await idm("queue", "set", "night", "--max-active", "0", "--json", home=daemon.home)
    assert json.loads(cleared.out)["max_active"] is None
