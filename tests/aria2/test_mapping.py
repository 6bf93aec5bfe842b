"""The aria2 face's pure parts: GIDs both ways, a Job as aria2's status struct,
options both ways, aria2's list windows and queue moves, the reply encoder."""

from __future__ import annotations

import json

import pytest

from idmd.aria2.errors import Aria2Error
from idmd.aria2.gid import Gids
from idmd.aria2.options import from_idm, to_config_patch, to_idm
from idmd.aria2.queue import priority_for, queue_key, renumber, target_index, window
from idmd.aria2.status import aria2_status, bitfield, error_code
from idmd.aria2.wire import Raw, encode


def test_gids_are_16_hex_digits_and_map_back_without_storage() -> None:
    gids = Gids()
    for job_id in ("1b42dfbc3a41", "0000000000ab", "f", "0123456789abcde"):
        gid = gids.gid(job_id)
        assert len(gid) == 16 and int(gid, 16) >= 0
        assert Gids().job_id(gid) == job_id  # another process (a restart) maps it the same way
        assert Gids().job_id(gid.upper()) == job_id
    assert gids.gid("0000000000ab") != gids.gid("00000000000ab")
    odd = gids.gid("not-hex/id")
    assert odd[0] == "0" and gids.job_id(odd) == "not-hex/id"
    assert Gids().job_id(odd) is None  # a hashed GID is known only to the process that made it
    assert Gids().job_id("c1000000000000ab") is None  # padding that is not zeros stands for nothing


def job(**fields: object) -> dict:
    base = {
        "id": "1b42dfbc3a41",
        "url": "http://h/f.bin",
        "status": "downloading",
        "filename": "f.bin",
        "path": None,
        "size": 5 << 20,
        "done": 0,
        "speed": 1234.4,
        "connections": 3,
        "segments": [],
        "error": None,
        "options": {"dir": "/dl"},
    }
    base.update(fields)
    return base


def test_status_struct_numbers_as_strings_and_pieces_from_segments() -> None:
    # 5 MiB in 1 MiB pieces; two segments: [0, 2.5 MiB) all done, [2.5 MiB, 5 MiB) 1.5 MiB done.
    half = (5 << 20) // 2
    got = aria2_status(
        job(segments=[[0, half, half], [half, 5 << 20, 3 << 19]], done=half + (3 << 19)),
        "c0001b42dfbc3a41",
        "/default",
    )
    assert got["gid"] == "c0001b42dfbc3a41" and got["status"] == "active"
    assert (
        got["totalLength"] == str(5 << 20)
        and got["downloadSpeed"] == "1234"
        and got["connections"] == "3"
    )
    assert got["numPieces"] == "5" and got["pieceLength"] == str(1 << 20)
    assert (
        got["bitfield"] == "d0"
    )  # pieces 0 and 1 (in the first segment) and 3 (3-4 MiB) are whole
    assert got["dir"] == "/dl" and got["files"][0]["path"] == "/dl/f.bin"
    assert got["files"][0]["uris"] == [{"uri": "http://h/f.bin", "status": "used"}]
    assert "errorCode" not in got
    assert aria2_status(job(status="completed"), "g", "/d", ["status", "errorCode"]) == {
        "status": "complete",
        "errorCode": "0",
    }
    failed = aria2_status(
        job(status="failed", error={"code": "http", "message": "HTTP 404 Not Found"}),
        "g",
        "/d",
        ["errorCode", "errorMessage"],
    )
    assert failed == {"errorCode": "3", "errorMessage": "HTTP 404 Not Found"}
    assert aria2_status(job(status="cancelled"), "g", "/d", ["status"]) == {"status": "removed"}
    assert aria2_status(job(status="queued"), "g", "/d", ["status"]) == {"status": "waiting"}


def test_bitfield_counts_only_whole_pieces() -> None:
    mib = 1 << 20
    assert bitfield({"segments": [[0, 3 * mib, 2 * mib + 1]]}, 3 * mib, mib) == "c0"
    assert bitfield({"segments": [[mib // 2, 3 * mib, 2 * mib]]}, 3 * mib, mib) == "40"
    assert bitfield({"done": 3 * mib}, 3 * mib, mib) == "e0"
    assert bitfield({"status": "completed"}, 9 * mib, mib) == "ff80"
    assert error_code({"code": "checksum", "message": "x"}) == "32"
    assert error_code({"code": "http", "message": "HTTP 403 Forbidden"}) == "24"


def test_options_both_ways() -> None:
    idm, ignored = to_idm(
        {
            "dir": "/x",
            "out": "a.bin",
            "split": "64",
            "max-connection-per-server": "16",
            "max-download-limit": "2M",
            "checksum": "sha-256=" + "a" * 64,
            "header": ["X-A: 1", "X-B: two: parts"],
            "http-user": "u",
            "http-passwd": "p",
            "referer": "*",
            "pause": "true",
            "all-proxy": "http://p:1",
            "all-proxy-user": "pu",
            "all-proxy-passwd": "p w",
            "seed-time": "0",
        },
        "http://h/f",
    )
    assert idm == {
        "dir": "/x",
        "filename": "a.bin",
        "connections": 16,
        "speed_limit": 2 << 20,
        "checksum": "sha256=" + "a" * 64,
        "start": "paused",
        "referer": "http://h/f",
        "headers": {"X-A": "1", "X-B": "two: parts"},
        "user": "u",
        "password": "p",
        "proxy": "http://pu:p%20w@p:1",
    }
    assert ignored == ["seed-time"]
    assert to_idm({"split": "100"})[0]["connections"] == 32
    for bad in (
        {"split": "many"},
        {"max-download-limit": "fast"},
        {"pause": "maybe"},
        {"header": "nocolon"},
        {"checksum": "crc32=00"},
        {"out": {"a": 1}},
    ):
        with pytest.raises(Aria2Error):
            to_idm(bad)
    back = from_idm(idm, {"connections": 8, "user_agent": ""}, "/dl")
    assert (
        back["out"] == "a.bin"
        and back["split"] == "16"
        and back["max-download-limit"] == str(2 << 20)
    )
    assert back["checksum"] == "sha-256=" + "a" * 64 and back["pause"] == "true"
    assert to_config_patch(
        {"max-concurrent-downloads": "4", "max-overall-download-limit": "1K", "log": "x"}
    ) == ({"max_active": 4, "speed_limit": 1024}, ["log"])


def test_windows_and_moves_in_the_queue() -> None:
    items = list(range(10))
    assert window(items, 0, 3) == [0, 1, 2]
    assert window(items, -1, 3) == [9, 8, 7]
    assert window(items, -9, 5) == [1, 0]
    assert window(items, 8, 5) == [8, 9]
    assert window(items, -11, 5) == [] and window(items, 0, 0) == []
    assert target_index(3, 10, -2, "POS_CUR") == 1
    assert target_index(3, 10, -50, "POS_END") == 0 and target_index(3, 10, 50, "POS_SET") == 9
    queue = [
        {"id": str(i), "created_at": f"2026-01-0{i + 1}", "options": {"priority": 5 - 2 * i}}
        for i in range(4)
    ]
    for index in range(4):  # room between priorities 5, 3, 1: the one job's priority suffices
        moving, others = queue[3], queue[:3]
        moved = dict(moving, options={"priority": priority_for(moving, others, index)})
        assert sorted([*others, moved], key=queue_key).index(moved) == index
    tied = [dict(job, options={}) for job in queue]
    wanted = [tied[0], tied[3], tied[1], tied[2]]
    changes = renumber(wanted)
    renumbered = [dict(j, options={"priority": changes.get(j["id"], 0)}) for j in tied]
    assert [j["id"] for j in sorted(renumbered, key=queue_key)] == ["0", "3", "1", "2"]
    assert set(changes) == {"0", "1", "2"}  # "3", second of four, keeps priority 0


def test_encode_splices_raw_json() -> None:
    reply = {"id": 1, "result": [[Raw('[{"gid":"a"}]')], {"x": "\0raw0\0"}]}
    assert json.loads(encode(reply)) == {"id": 1, "result": [[[{"gid": "a"}]], {"x": "\0raw0\0"}]}


def test_the_tracker_follows_active_jobs_and_drops_answers_on_any_change_but_progress() -> None:
    from idmd.aria2.tracker import Tracker
    from idmd.events import EventBus
    from idmd.protocol.events import EventType

    bus = EventBus()
    tracker = Tracker(bus)
    bus.emit(EventType.JOB_STATUS, "a", {"status": "downloading"})
    bus.emit(EventType.JOB_STATUS, "b", {"status": "downloading"})
    tracker.keep("list", Raw("[]"), tracker.generation)
    bus.emit(EventType.JOB_PROGRESS, "a", {"done": 5})
    bus.emit(EventType.STATS, None, {})
    assert tracker.cached("list") == Raw("[]")
    stale = tracker.generation
    bus.emit(EventType.JOB_UPDATED, "c", {"priority": 3})
    assert tracker.cached("list") is None
    tracker.keep("list", Raw("[1]"), stale)  # computed before the change: not kept
    assert tracker.cached("list") is None
    bus.emit(EventType.JOB_STATUS, "a", {"status": "completed"})
    bus.emit(EventType.JOB_REMOVED, "b", {})
    assert tracker.active == {}
    tracker.stop()
    assert bus.listener_count == 0
