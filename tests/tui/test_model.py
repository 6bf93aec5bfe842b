"""The job table model: snapshot plus events give the state a user sees."""

from __future__ import annotations

from typing import Any

from idm_tui.history import SpeedHistory
from idm_tui.model import JobModel, View


def job(
    job_id: str, status: str = "queued", created: str = "2026-01-01T00:00:00Z", **extra: Any
) -> dict:
    base = {
        "id": job_id,
        "url": f"http://x/{job_id}",
        "status": status,
        "filename": f"{job_id}.bin",
        "size": 100,
        "done": 0,
        "speed": 0,
        "eta": None,
        "connections": 0,
        "created_at": created,
    }
    return {**base, **extra}


def event(seq: int, type: str, job_id: str | None, data: dict, at: float = 1000.0) -> dict:
    return {"seq": seq, "type": type, "job": job_id, "at": at, "data": data}


def test_events_move_a_job_through_the_tabs() -> None:
    model = JobModel()
    model.apply_snapshot([], seq=0)
    change = model.apply_event(event(1, "job.added", "a", job("a")))
    assert change.structure and model.visible(View.QUEUED) == ["a"]
    model.apply_event(event(2, "job.status", "a", {"status": "downloading", "error": None}))
    assert model.visible(View.ACTIVE) == ["a"] and model.visible(View.QUEUED) == []
    change = model.apply_event(event(3, "job.progress", "a", {"done": 40, "speed": 10, "eta": 6}))
    assert change.rows == {"a"} and not change.structure
    assert model.jobs["a"]["done"] == 40
    model.apply_event(event(4, "job.status", "a", {"status": "completed", "error": None}))
    assert model.visible(View.COMPLETED) == ["a"]
    assert model.jobs["a"]["speed"] == 0  # a finished job shows no stale speed
    model.apply_event(event(5, "job.removed", "a", {}))
    assert model.visible(View.ALL) == []


def test_replayed_events_are_applied_once() -> None:
    model = JobModel()
    model.apply_snapshot([job("a", "downloading")], seq=10)
    assert not model.apply_event(event(9, "job.progress", "a", {"done": 99})).rows
    assert model.jobs["a"]["done"] == 0
    model.apply_event(event(11, "job.progress", "a", {"done": 50}))
    assert model.jobs["a"]["done"] == 50


def test_snapshot_after_reconnect_drops_vanished_jobs_but_keeps_history() -> None:
    model = JobModel()
    model.apply_snapshot([job("a", "downloading"), job("b", "queued")], seq=5)
    model.add_history([job("old", "completed")])
    model.apply_snapshot([job("a", "paused")], seq=20)
    assert set(model.jobs) == {"a", "old"}
    assert model.jobs["a"]["status"] == "paused"


def test_history_pages_do_not_overwrite_live_state() -> None:
    model = JobModel()
    model.apply_snapshot([job("a", "downloading", done=70)], seq=1)
    model.add_history([job("a", "queued", done=0)])
    assert model.jobs["a"]["done"] == 70


def test_newest_first_and_failed_tab_holds_cancelled_too() -> None:
    model = JobModel()
    model.apply_snapshot(
        [
            job("old", "failed", "2026-01-01T00:00:00Z"),
            job("new", "cancelled", "2026-01-02T00:00:00Z"),
        ]
    )
    assert model.visible(View.FAILED) == ["new", "old"]


def test_duplicate_pairing_log_and_stats_are_reported() -> None:
    model = JobModel()
    model.apply_snapshot([job("a")], seq=0)
    assert model.apply_event(event(1, "job.duplicate", "a", {"path": "/d/a.bin"})).waiting == {"a"}
    assert model.apply_event(
        event(2, "pairing.requested", None, {"name": "Chrome", "code": "123456"})
    ).pairing == {"name": "Chrome", "code": "123456"}
    assert (
        model.apply_event(event(3, "job.log", "a", {"level": "info", "message": "hello"})).log
        == "a"
    )
    assert list(model.logs["a"]) == ["info    hello"]
    model.apply_event(event(4, "stats", None, {"active": 2, "queued": 7, "speed": 1000}))
    assert model.counts() == {"active": 2, "queued": 7} and model.total_speed() == 1000


def test_events_for_unknown_jobs_and_unknown_types_are_ignored() -> None:
    model = JobModel()
    assert not model.apply_event(event(1, "job.progress", "ghost", {"done": 1})).rows
    assert not model.apply_event(event(2, "no.such.type", None, {})).rows
    assert model.jobs == {}


def test_speed_history_keeps_one_value_per_second_for_a_minute() -> None:
    history = SpeedHistory(window=5)
    history.add(100.1, 10)
    history.add(100.9, 20)  # the latest in a second wins
    history.add(102.5, 30)
    assert history.series() == [0, 0, 20, 0, 30]
    history.add(110.0, 5)
    assert history.series() == [0, 0, 0, 0, 5]


def test_a_restarted_daemon_counting_from_zero_again_is_followed() -> None:
    model = JobModel()
    model.apply_snapshot([job("a", "paused")], seq=500)
    model.apply_snapshot([job("a", "paused")], seq=3, reset=True)
    model.apply_event(event(4, "job.status", "a", {"status": "downloading", "error": None}))
    assert model.jobs["a"]["status"] == "downloading"


def test_jobs_waiting_for_a_duplicate_decision_are_reported_from_status_and_snapshot() -> None:
    model = JobModel()
    assert model.apply_snapshot([job("a", "waiting"), job("b")], seq=1).waiting == {"a"}
    assert model.apply_event(
        event(2, "job.status", "b", {"status": "waiting", "error": None})
    ).waiting == {"b"}
