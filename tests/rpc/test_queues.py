"""Named queues and speed windows through the RPC, on the real engine and store.

The daemon's schedule reads a clock the tests hold (a fixed time zone, UTC+1):
a test moves it and calls ``ScheduleRunner.tick()``, as the daemon's own timer
would at that time, instead of waiting. Downloads come from a real file server
on 127.0.0.1 (tests/engine/servers.py).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from idmd.config import Config
from idmd.core.units import parse_size
from tests.engine.servers import Site, payload, requested_range, serve
from tests.rpc.real import RealDaemon, start_real_daemon
from tests.rpc.wsutil import RawPeer, connect, result

ZONE = timezone(timedelta(hours=1))
SIZE = 1024 * 1024
DATA = payload(SIZE)
OFFICE = {"days": "mon-fri", "start": "08:00", "stop": "18:00"}


class Clock:
    """The schedule's wall clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 5, 12, 0, tzinfo=ZONE))  # a Saturday, noon


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    site = Site()
    starts: list[int] = []

    async def ranged(request: Any) -> Any:
        asked = requested_range(request, SIZE)
        starts.append(asked[0] if asked else 0)
        # The first request stalls after 256 KiB until the test releases it.
        return await serve(request, DATA, stall_after=256 * 1024, stall=site.release)

    site.route("/file.bin", ranged)
    site.starts = starts  # type: ignore[attr-defined]
    await site.start()
    yield site
    await site.close()


@pytest.fixture
async def daemon(tmp_path: Path, clock: Clock) -> AsyncIterator[RealDaemon]:
    real = await start_real_daemon(tmp_path / "home", Config(connections=1), clock=clock)
    yield real
    await real.close()


@pytest.fixture
async def peer(daemon: RealDaemon) -> AsyncIterator[RawPeer]:
    client = await connect(daemon.url, token=daemon.token)
    yield client
    await client.close()


async def error(peer: RawPeer, method: str, params: Any) -> dict[str, Any]:
    reply = await peer.call(method, params)
    assert "error" in reply, (method, reply)
    return reply["error"]


async def event(peer: RawPeer, kind: str, **data: Any) -> dict[str, Any]:
    while True:
        got = await peer.next_event(30)
        if got["type"] == kind and all(got["data"].get(k) == v for k, v in data.items()):
            return got


def move(daemon: RealDaemon, clock: Clock, when: datetime) -> None:
    clock.now = when
    assert daemon.ctx.schedule is not None
    daemon.ctx.schedule.tick()


async def test_a_job_waits_for_its_queues_window_and_a_closing_window_requeues_it_with_its_parts(
    daemon: RealDaemon, peer: RawPeer, site: Site, clock: Clock
) -> None:
    await result(
        peer,
        "events.subscribe",
        {"types": ["job.status", "job.progress", "queue.opened", "queue.closed"]},
    )
    queue = await result(peer, "queues.set", {"name": "office", "windows": [OFFICE]})
    assert queue["open"] is False and queue["next_change"] == "2026-12-07T08:00"  # Monday morning
    job = await result(
        peer, "jobs.add", {"url": site.url("/file.bin"), "options": {"queue": "office"}}
    )
    assert job["status"] == "queued" and job["options"]["queue"] == "office"
    other = await result(
        peer, "jobs.add", {"url": site.url("/file.bin") + "?b", "options": {"start": "paused"}}
    )
    assert (await result(peer, "jobs.get", {"id": job["id"]}))["status"] == "queued"
    assert site.hits == {}  # nothing asked of the server while the queue is closed
    listed = {q["name"]: q for q in await result(peer, "queues.list")}
    assert (
        listed["office"]["jobs"] == {"queued": 1, "downloading": 0}
        and listed["default"]["open"] is True
    )

    move(daemon, clock, datetime(2026, 12, 7, 8, 0, tzinfo=ZONE))
    assert (await event(peer, "queue.opened", name="office"))["data"][
        "next_change"
    ] == "2026-12-07T18:00"
    await event(peer, "job.status", status="downloading")
    while (await event(peer, "job.progress"))["data"]["done"] < 256 * 1024:
        pass

    move(daemon, clock, datetime(2026, 12, 7, 18, 0, tzinfo=ZONE))
    await event(peer, "queue.closed", name="office")
    await event(peer, "job.status", status="queued")
    held = await result(peer, "jobs.get", {"id": job["id"]})
    assert held["status"] == "queued" and held["done"] >= 256 * 1024  # the bytes are kept

    site.release.set()
    move(daemon, clock, datetime(2026, 12, 8, 8, 0, tzinfo=ZONE))
    await event(peer, "job.status", status="completed")
    done = await result(peer, "jobs.get", {"id": job["id"]})
    assert Path(done["path"]).read_bytes() == DATA
    assert (
        site.starts[0] == 0 and site.starts[-1] >= 256 * 1024 - 8192
    )  # continued, not started over
    assert (await result(peer, "jobs.get", {"id": other["id"]}))["status"] == "paused"


async def test_a_speed_window_sets_the_global_limit_on_time(
    daemon: RealDaemon, peer: RawPeer, clock: Clock
) -> None:
    await result(peer, "events.subscribe", {"types": ["schedule.limit"]})
    await result(peer, "config.set", {"patch": {"speed_limit": "4M"}})
    got = await result(
        peer,
        "schedule.set",
        {
            "limits": [
                "mon-fri 08:00-18:00 1M",
                {"days": "weekend", "start": "10:00", "stop": "14:00", "limit": 0},
            ]
        },
    )
    assert got["limit"] == 0 and got["effective"] == 0  # Saturday noon: unlimited
    assert got["next_change"] == "2026-12-05T14:00"
    assert [item["text"] for item in got["limits"]] == [
        "mon-fri 08:00-18:00",
        "sat,sun 10:00-14:00",
    ]
    assert (await event(peer, "schedule.limit"))["data"]["limit"] == 0
    move(daemon, clock, datetime(2026, 12, 5, 14, 0, tzinfo=ZONE))
    assert (await event(peer, "schedule.limit"))["data"]["limit"] is None
    assert daemon.engine.global_limit() == parse_size("4M")  # outside every window: the config's
    move(daemon, clock, datetime(2026, 12, 7, 9, 30, tzinfo=ZONE))
    assert (await event(peer, "schedule.limit"))["data"] == {
        "limit": SIZE,
        "next_change": "2026-12-07T18:00",
    }
    assert daemon.engine.global_limit() == SIZE and daemon.engine.global_bucket.rate == SIZE
    await result(peer, "config.set", {"patch": {"speed_limit": "2M"}})
    assert daemon.engine.global_limit() == SIZE  # the window still wins over the config


async def test_stop_when_done_holds_the_queue_until_started_again(
    daemon: RealDaemon, peer: RawPeer, site: Site, clock: Clock
) -> None:
    site.release.set()
    await result(peer, "events.subscribe", {"types": ["job.status", "queue.closed"]})
    await result(peer, "queues.set", {"name": "batch", "stop_when_done": True})
    first = await result(
        peer, "jobs.add", {"url": site.url("/file.bin"), "options": {"queue": "batch"}}
    )
    await event(peer, "job.status", status="completed")
    assert (await event(peer, "queue.closed", name="batch"))["data"]["next_change"] is None
    (batch,) = [q for q in await result(peer, "queues.list") if q["name"] == "batch"]
    assert batch["held"] is True and batch["open"] is False
    later = await result(
        peer, "jobs.add", {"url": site.url("/file.bin") + "?2", "options": {"queue": "batch"}}
    )
    assert later["status"] == "queued"
    assert (await result(peer, "queues.start", {"name": "batch"}))["open"] is True
    await event(peer, "job.status", status="completed")
    assert first["id"] != later["id"]


async def test_a_queue_stopped_by_hand_moves_its_running_job_back_and_its_jobs_survive_its_removal(
    daemon: RealDaemon, peer: RawPeer, site: Site
) -> None:
    await result(peer, "events.subscribe", {"types": ["job.status"]})
    await result(peer, "queues.set", {"name": "later"})
    job = await result(
        peer, "jobs.add", {"url": site.url("/file.bin"), "options": {"queue": "later"}}
    )
    await event(peer, "job.status", status="downloading")
    stopped = await result(peer, "queues.stop", {"name": "later"})
    assert stopped["held"] is True and stopped["open"] is False
    await event(peer, "job.status", status="queued")
    assert (await result(peer, "jobs.get", {"id": job["id"]}))["status"] == "queued"
    assert await result(peer, "queues.remove", {"name": "later"}) is True
    site.release.set()
    await event(
        peer, "job.status", status="completed"
    )  # it joined the default queue, which is open
    assert (await result(peer, "jobs.get", {"id": job["id"]}))["options"]["queue"] == "default"
    assert [q["name"] for q in await result(peer, "queues.list")] == ["default"]


async def test_the_schedule_survives_a_restart_and_a_window_that_opened_meanwhile_applies_at_start(
    tmp_path: Path, site: Site, clock: Clock
) -> None:
    site.release.set()
    first = await start_real_daemon(tmp_path / "home", clock=clock)
    peer = await connect(first.url, token=first.token)
    await result(
        peer, "queues.set", {"name": "night", "windows": ["daily 01:00-06:00"], "start_at": None}
    )
    await result(peer, "queues.stop", {"name": "night"})  # Saturday noon: held until 01:00
    job = await result(
        peer, "jobs.add", {"url": site.url("/file.bin"), "options": {"queue": "night"}}
    )
    assert job["status"] == "queued"
    await result(peer, "queues.set", {"name": "office", "windows": [OFFICE]})
    waiting = await result(
        peer, "jobs.add", {"url": site.url("/file.bin") + "?office", "options": {"queue": "office"}}
    )
    await result(peer, "schedule.set", {"limits": ["daily 00:00-24:00 3M"]})
    await peer.close()
    await first.close()
    stored = json.loads((tmp_path / "home" / "schedule.json").read_text())
    assert stored["queues"]["night"]["held_at"] == "2026-12-05T12:00"

    clock.now = datetime(
        2026, 12, 6, 2, 30, tzinfo=ZONE
    )  # Sunday 02:30: the window opened at 01:00
    second = await start_real_daemon(tmp_path / "home", clock=clock)
    peer = await connect(second.url, token=second.token)
    try:
        await result(peer, "events.subscribe", {"types": ["job.status"], "jobs": [job["id"]]})
        (night,) = [q for q in await result(peer, "queues.list") if q["name"] == "night"]
        assert night["open"] is True and night["held"] is False
        assert second.engine.global_limit() == 3 * SIZE
        current = await result(peer, "jobs.get", {"id": job["id"]})
        if current["status"] != "completed":
            await event(peer, "job.status", status="completed")
        # The office queue is closed on Sunday: its job was not started by the engine's start.
        office = await result(peer, "jobs.get", {"id": waiting["id"]})
        assert office["status"] == "queued" and office["started_at"] is None
    finally:
        await peer.close()
        await second.close()


async def test_a_queue_that_starts_at_a_time_given_with_an_offset(
    daemon: RealDaemon, peer: RawPeer, clock: Clock
) -> None:
    got = await result(peer, "queues.set", {"name": "eve", "start_at": "2026-12-05T20:00:00+00:00"})
    assert (
        got["start_at"] == "2026-12-05T21:00" and got["open"] is False
    )  # in the daemon's zone, UTC+1
    assert got["next_change"] == "2026-12-05T21:00"
    move(daemon, clock, datetime(2026, 12, 5, 21, 0, tzinfo=ZONE))
    (eve,) = [q for q in await result(peer, "queues.list") if q["name"] == "eve"]
    assert eve["open"] is True


async def test_a_job_with_a_start_time_waits_for_it_and_the_timer_is_set_for_it(
    daemon: RealDaemon, peer: RawPeer, site: Site, clock: Clock
) -> None:
    site.release.set()
    await result(peer, "events.subscribe", {"types": ["job.status"]})
    job = await result(
        peer,
        "jobs.add",
        {"url": site.url("/file.bin"), "options": {"start_at": "2026-12-05T12:30:00+00:00"}},
    )
    assert job["status"] == "queued" and job["options"]["start_at"] == "2026-12-05T12:30:00+00:00"
    now = await result(peer, "jobs.add", {"url": site.url("/file.bin") + "?now"})
    await event(peer, "job.status", status="completed")  # the other job did not wait
    assert (await result(peer, "jobs.get", {"id": job["id"]}))["status"] == "queued"
    assert daemon.ctx.schedule is not None
    assert daemon.ctx.schedule.next_wake == datetime(2026, 12, 5, 13, 30)  # 12:30 UTC in UTC+1
    move(daemon, clock, datetime(2026, 12, 5, 13, 29, tzinfo=ZONE))
    assert (await result(peer, "jobs.get", {"id": job["id"]}))["status"] == "queued"
    moved = await result(
        peer, "jobs.update", {"id": job["id"], "patch": {"start_at": "2026-12-05T13:45"}}
    )
    assert moved["options"]["start_at"] == "2026-12-05T13:45:00"
    await peer.call("session.ping")  # the timer is set again once the update's event is out
    assert daemon.ctx.schedule.next_wake == datetime(2026, 12, 5, 13, 45)
    move(daemon, clock, datetime(2026, 12, 5, 13, 45, tzinfo=ZONE))
    await event(peer, "job.status", status="completed")
    assert (await result(peer, "jobs.get", {"id": job["id"]}))["status"] == "completed"
    assert now["id"] != job["id"] and daemon.ctx.schedule.next_wake is None


@pytest.mark.parametrize(
    ("method", "params", "param", "words"),
    [
        (
            "queues.set",
            {"name": "q", "windows": [OFFICE, "fri 17:00-19:00"]},
            "windows",
            "windows[0] (mon-fri 08:00-18:00) and windows[1] (fri 17:00-19:00) overlap",
        ),
        (
            "queues.set",
            {"name": "q", "windows": ["mon 09:00-09:00"]},
            "windows[0].stop",
            "never open",
        ),
        (
            "queues.set",
            {"name": "q", "windows": [{"days": "someday", "start": "08:00", "stop": "09:00"}]},
            "windows[0].days",
            "not a day",
        ),
        (
            "queues.set",
            {"name": "q", "windows": [{"days": "mon", "start": "8:70", "stop": "09:00"}]},
            "windows[0].start",
            "HH:MM",
        ),
        ("queues.set", {"name": "q", "start_at": "tomorrow"}, "start_at", "ISO 8601"),
        ("queues.set", {"name": "no spaces"}, "name", "queue name"),
        ("queues.remove", {"name": "default"}, "name", "cannot be removed"),
        ("queues.stop", {"name": "nosuch"}, "name", "no queue named 'nosuch'"),
        (
            "jobs.add",
            {"url": "http://127.0.0.1:9/x", "options": {"queue": "nosuch"}},
            "options.queue",
            "no queue named 'nosuch'",
        ),
        ("schedule.set", {"limits": ["mon 08:00-09:00 lots"]}, "limits[0].limit", ""),
        (
            "jobs.add",
            {"url": "http://127.0.0.1:9/x", "options": {"start_at": "at noon"}},
            "options.start_at",
            "ISO 8601",
        ),
        (
            "schedule.set",
            {"limits": [{"days": "mon", "start": "08:00", "stop": "25:00", "limit": 1}]},
            "limits[0].stop",
            "HH:MM",
        ),
    ],
)
async def test_bad_schedules_are_refused_naming_the_field(
    peer: RawPeer, method: str, params: dict[str, Any], param: str, words: str
) -> None:
    got = await error(peer, method, params)
    assert got["code"] == -32602 and got["data"]["param"] == param and words in got["message"], got
    assert [q["name"] for q in await result(peer, "queues.list")] == ["default"]  # nothing kept


async def test_a_schedule_file_that_cannot_be_read_is_moved_aside_and_the_daemon_runs(
    tmp_path: Path, clock: Clock
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "schedule.json").write_text('{"queues": {"night": {"windows": ["mon 25:00-26:00"]}}}')
    daemon = await start_real_daemon(home, clock=clock)
    peer = await connect(daemon.url, token=daemon.token)
    try:
        assert [q["name"] for q in await result(peer, "queues.list")] == ["default"]
        assert "25:00" in (home / "schedule.json.bad").read_text()
        await result(peer, "queues.set", {"name": "night", "windows": ["daily 01:00-06:00"]})
        assert (
            json.loads((home / "schedule.json").read_text())["queues"]["night"]["windows"][0][
                "start"
            ]
            == "01:00"
        )
    finally:
        await peer.close()
        await daemon.close()


async def test_a_queue_s_own_max_active_caps_its_running_jobs_and_survives_a_restart(
    tmp_path: Path, site: Site, clock: Clock
) -> None:
    first = await start_real_daemon(tmp_path / "home", Config(connections=1), clock=clock)
    peer = await connect(first.url, token=first.token)
    night = await result(peer, "queues.set", {"name": "night", "max_active": 1})
    assert night["max_active"] == 1
    for bad_value in (101, -1, "2", True):
        refused = await error(peer, "queues.set", {"name": "night", "max_active": bad_value})
        assert refused["data"]["param"] == "max_active", bad_value
    ids = [
        (await result(peer, "jobs.add", {"url": site.url(f"/file.bin?{n}"), "options": o}))["id"]
        for n, o in enumerate([{"queue": "night"}] * 3 + [{}])
    ]

    async def running() -> dict[str, int]:
        listed = {q["name"]: q["jobs"] for q in await result(peer, "queues.list")}
        return {name: listed[name]["downloading"] for name in ("night", "default")}

    # The global max_active is 3: the default job and one night job run, two night jobs wait.
    assert await running() == {"night": 1, "default": 1}
    assert (await result(peer, "queues.set", {"name": "night", "max_active": 2}))["jobs"] == {
        "queued": 1,
        "downloading": 2,
    }
    await result(peer, "queues.set", {"name": "night", "max_active": 0})  # none of its own
    assert await running() == {"night": 2, "default": 1}  # the global 3 still applies
    await result(peer, "queues.set", {"name": "night", "max_active": 1})
    await peer.close()
    await first.close()
    stored = json.loads((tmp_path / "home" / "schedule.json").read_text())
    assert stored["queues"]["night"]["max_active"] == 1

    site.release.set()
    second = await start_real_daemon(tmp_path / "home", Config(connections=1), clock=clock)
    peer = await connect(second.url, token=second.token)
    try:
        await result(peer, "events.subscribe", {"types": ["job.status"], "jobs": ids})
        night_running = 0
        finished = 0
        while finished < len(ids):
            got = await event(peer, "job.status")
            status = got["data"]["status"]
            finished += status == "completed"
            # A job with every byte in is still "downloading" while its file is synced, but
            # holds no slot by then (docs/internals.md): the next one may already run.
            night_running = sum(
                j["status"] == "downloading"
                and j["options"].get("queue") == "night"
                and j["done"] < (j["size"] or 1 << 62)
                for j in (await result(peer, "jobs.list", {}))["jobs"]
            )
            assert night_running <= 1, status  # after the restart too
    finally:
        await peer.close()
        await second.close()
