"""The protocol's calls against the real Engine and a real SQLite Store.

The other RPC tests mount the toy engine (``tests.rpc.toy``) to test the
protocol alone; these send the same calls through the WebSocket to
``idmd.app``'s real engine and store in a temporary IDM_HOME, downloading from
a real aiohttp file server on 127.0.0.1, so what the toy says the engine does
is checked against what it does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import PAYLOAD, Files
from tests.rpc.cases import check_parameter_errors
from tests.rpc.real import RealDaemon, start_real_daemon
from tests.rpc.wsutil import RawPeer, connect, result

STATUS = "job.status"


@pytest.fixture
async def peer(real: RealDaemon) -> AsyncIterator[RawPeer]:
    client = await connect(real.url, token=real.token)
    yield client
    await client.close()


async def until_status(
    peer: RawPeer, job_id: str, *statuses: str, timeout: float = 30.0
) -> dict[str, Any]:
    """The job's ``job.status`` event reaching one of ``statuses`` (subscribe first)."""
    while True:
        event = await peer.next_event(timeout)
        if (
            event["type"] == STATUS
            and event["job"] == job_id
            and event["data"]["status"] in statuses
        ):
            return event


async def test_a_download_runs_from_added_to_completed_and_is_remembered(
    real: RealDaemon, peer: RawPeer, files: Files
) -> None:
    await result(peer, "events.subscribe", {"types": ["job.added", STATUS]})
    job = await result(
        peer, "jobs.add", {"url": files.url("/file.bin"), "options": {"connections": 2}}
    )
    assert job["status"] in ("queued", "downloading") and job["url"] == files.url("/file.bin")
    assert (await peer.next_event())["type"] == "job.added"
    await until_status(peer, job["id"], "completed", "failed")
    done = await result(peer, "jobs.get", {"id": job["id"]})
    assert done["status"] == "completed", done["error"]
    assert done["size"] == done["done"] == len(PAYLOAD) and done["filename"] == "file.bin"
    assert (
        Path(done["path"]).read_bytes() == PAYLOAD
        and Path(done["path"]).parent == real.download_dir
    )
    listed = await result(peer, "jobs.list", {"status": ["completed"]})
    assert [j["id"] for j in listed["jobs"]] == [job["id"]] and listed["total"] == 1


async def test_pause_resume_cancel_and_retry_change_the_real_job(
    peer: RawPeer, files: Files
) -> None:
    await result(peer, "events.subscribe", {"types": [STATUS]})
    job = await result(
        peer, "jobs.add", {"url": files.url("/slow.bin"), "options": {"connections": 1}}
    )
    await until_status(peer, job["id"], "downloading")
    [paused] = await result(peer, "jobs.pause", {"ids": [job["id"]]})
    assert paused["status"] == "paused"
    [resumed] = await result(peer, "jobs.resume", {"ids": [job["id"]]})
    assert resumed["status"] in ("queued", "downloading")
    [cancelled] = await result(peer, "jobs.cancel", {"ids": [job["id"]]})
    assert cancelled["status"] == "cancelled"
    [retried] = await result(peer, "jobs.retry", {"ids": [job["id"]]})
    assert retried["status"] in ("queued", "downloading")
    files.gate.set()
    await until_status(peer, job["id"], "completed")
    refused = await peer.call("jobs.cancel", {"ids": [job["id"]]})
    assert refused["error"]["code"] == -32009 and refused["error"]["data"]["id"] == job["id"]


async def test_unknown_jobs_are_refused_by_id(peer: RawPeer) -> None:
    for method, params in (
        ("jobs.get", {"id": "nope"}),
        ("jobs.pause", {"ids": ["nope"]}),
        ("jobs.remove", {"ids": ["nope"]}),
        ("jobs.update", {"id": "nope", "patch": {"priority": 1}}),
    ):
        reply = await peer.call(method, params)
        assert reply["error"]["code"] == -32004, (method, reply)


async def test_errors_name_the_parameter_as_the_toy_does(peer: RawPeer) -> None:
    """The cases of test_server.py's test_errors_name_the_parameter, through the real engine."""
    await check_parameter_errors(peer)
    assert (await result(peer, "jobs.list", {}))["total"] == 0  # nothing refused was added


async def test_add_many_answers_in_order_and_adds_only_the_good_ones(
    peer: RawPeer, files: Files
) -> None:
    items = [
        {"url": files.url("/file.bin"), "options": {"start": "paused"}},
        {"url": "ftp://h.test/c"},
        {"url": files.url("/slow.bin"), "options": {"start": "paused", "connections": 0}},
    ]
    answers = await result(peer, "jobs.add_many", {"items": items})
    assert answers[0]["status"] == "paused"
    assert answers[1]["error"]["code"] == -32010
    assert answers[2]["error"]["data"]["param"] == "items[2].options.connections"
    assert [j["id"] for j in (await result(peer, "jobs.list", {}))["jobs"]] == [answers[0]["id"]]


async def test_the_store_lists_searches_and_pages(peer: RawPeer, files: Files) -> None:
    ids = []
    for name in ("alpha.bin", "beta.bin", "alpha-2.bin"):
        job = await result(
            peer,
            "jobs.add",
            {"url": files.url("/file.bin"), "options": {"start": "paused", "filename": name}},
        )
        ids.append(job["id"])
    assert {
        j["filename"] for j in (await result(peer, "jobs.list", {"query": "alpha"}))["jobs"]
    } == {"alpha.bin", "alpha-2.bin"}
    first = await result(peer, "jobs.list", {"limit": 2})
    assert first["total"] == 3 and len(first["jobs"]) == 2 and first["cursor"]
    rest = await result(peer, "jobs.list", {"limit": 2, "cursor": first["cursor"]})
    assert (
        sorted(j["id"] for j in first["jobs"] + rest["jobs"]) == sorted(ids)
        and rest["cursor"] is None
    )
    by_name = await result(peer, "jobs.list", {"order": "-filename"})
    assert [j["filename"] for j in by_name["jobs"]] == ["beta.bin", "alpha.bin", "alpha-2.bin"]


async def test_update_changes_a_paused_job_and_refuses_other_keys(
    peer: RawPeer, files: Files
) -> None:
    job = await result(
        peer, "jobs.add", {"url": files.url("/file.bin"), "options": {"start": "paused"}}
    )
    patch = {"priority": 5, "connections": 3, "speed_limit": 65536, "filename": "renamed.bin"}
    updated = await result(peer, "jobs.update", {"id": job["id"], "patch": patch})
    again = await result(peer, "jobs.get", {"id": job["id"]})
    for seen in (updated, again):
        assert seen["filename"] == "renamed.bin"
        assert {k: seen["options"][k] for k in ("priority", "connections", "speed_limit")} == {
            "priority": 5,
            "connections": 3,
            "speed_limit": 65536,
        }
    refused = await peer.call("jobs.update", {"id": job["id"], "patch": {"url": "http://x.test/"}})
    assert refused["error"]["code"] == -32602 and refused["error"]["data"]["param"] == "patch.url"


async def test_a_duplicate_waits_for_a_decision_and_rename_keeps_both(
    real: RealDaemon, peer: RawPeer, files: Files
) -> None:
    await result(peer, "events.subscribe", {"types": [STATUS, "job.duplicate"]})
    first = await result(peer, "jobs.add", {"url": files.url("/file.bin")})
    await until_status(peer, first["id"], "completed")
    second = await result(
        peer, "jobs.add", {"url": files.url("/file.bin"), "options": {"on_duplicate": "ask"}}
    )
    await until_status(peer, second["id"], "waiting")
    resolved = await result(
        peer, "jobs.resolve_duplicate", {"id": second["id"], "action": "rename"}
    )
    assert resolved["status"] in ("queued", "downloading", "completed")
    await until_status(peer, second["id"], "completed")
    assert sorted(p.name for p in real.download_dir.iterdir()) == ["file (1).bin", "file.bin"]
    not_waiting = await peer.call("jobs.resolve_duplicate", {"id": second["id"], "action": "skip"})
    assert not_waiting["error"]["code"] == -32009


async def test_remove_with_files_deletes_the_download_and_forgets_the_job(
    real: RealDaemon, peer: RawPeer, files: Files
) -> None:
    await result(peer, "events.subscribe", {"types": [STATUS, "job.removed"]})
    job = await result(peer, "jobs.add", {"url": files.url("/file.bin")})
    await until_status(peer, job["id"], "completed")
    assert await result(peer, "jobs.remove", {"ids": [job["id"]], "delete_files": True}) is True
    event = await peer.next_event()
    assert event["type"] == "job.removed" and event["job"] == job["id"]
    assert list(real.download_dir.iterdir()) == []
    assert (await peer.call("jobs.get", {"id": job["id"]}))["error"]["code"] == -32004


async def test_probe_describes_the_file_without_downloading_it(
    real: RealDaemon, peer: RawPeer, files: Files
) -> None:
    probe = await result(peer, "jobs.probe", {"url": files.url("/file.bin")})
    assert (
        probe["kind"] == "file" and probe["filename"] == "file.bin" and probe["resumable"] is False
    )
    assert (await result(peer, "jobs.list", {}))["total"] == 0 and not any(
        real.download_dir.iterdir()
    )


async def test_stats_and_config_reach_the_engine(
    real: RealDaemon, peer: RawPeer, files: Files
) -> None:
    await result(peer, "jobs.add", {"url": files.url("/file.bin"), "options": {"start": "queued"}})
    stats = await result(peer, "daemon.stats")
    assert set(stats) >= {"active", "queued", "speed", "totals"}
    changed = await result(peer, "config.set", {"patch": {"max_active": 1, "speed_limit": 1 << 20}})
    assert changed["max_active"] == 1 and real.ctx.config.max_active == 1
    assert real.engine.config.max_active == 1 and real.engine.global_bucket.rate == 1 << 20


async def test_msgpack_and_json_give_the_same_answers(real: RealDaemon, files: Files) -> None:
    json_peer = await connect(real.url, "json", token=real.token)
    job = await result(
        json_peer, "jobs.add", {"url": files.url("/file.bin"), "options": {"start": "paused"}}
    )
    msgpack_peer = await connect(real.url, "msgpack", token=real.token)
    calls = [
        ("jobs.list", {}),
        ("jobs.get", {"id": job["id"]}),
        ("jobs.get", {"id": "nope"}),
        ("config.get", None),
    ]
    answers = []
    for client in (json_peer, msgpack_peer):
        replies = [await client.call(method, params) for method, params in calls]
        answers.append(
            [{k: v for k, v in r.items() if k != "id"} for r in replies]
        )  # the ids differ
    await json_peer.close()
    await msgpack_peer.close()
    assert answers[0] == answers[1]


async def test_jobs_outlive_a_restart_through_the_store(tmp_path: Path, files: Files) -> None:
    home = tmp_path / "home"
    daemon = await start_real_daemon(home)
    peer = await connect(daemon.url, token=daemon.token)
    job = await result(
        peer,
        "jobs.add",
        {
            "url": files.url("/file.bin"),
            "options": {"start": "paused", "filename": "kept.bin", "priority": 7},
        },
    )
    await peer.close()
    await daemon.close()
    daemon = await start_real_daemon(home, token=daemon.token)
    peer = await connect(daemon.url, token=daemon.token)
    try:
        again = await result(peer, "jobs.get", {"id": job["id"]})
        assert (again["status"], again["filename"], again["url"]) == (
            "paused",
            "kept.bin",
            files.url("/file.bin"),
        )
        [resumed] = await result(peer, "jobs.resume", {"ids": [job["id"]]})
        assert resumed["status"] in ("queued", "downloading")
    finally:
        await peer.close()
        await daemon.close()
