"""The fleet record's transitions (idmd/fleet/record.py): who may take, progress and end a job."""

from __future__ import annotations

import pytest

from idmd.fleet import record as rec


def added() -> rec.Record:
    return rec.new_record(
        {
            "id": "j1",
            "url": "http://x/f",
            "options": {},
            "kind": "http",
            "created_at": "2026-01-01T00:00:00Z",
        },
        "n1",
    )


def test_a_new_job_is_queued_for_any_node() -> None:
    record = added()
    assert (record["status"], record["owner"], record["added_by"]) == ("queued", None, "n1")
    assert rec.judge(record, "n2", owner_alive=False) is rec.Verdict.RUN


def test_a_job_held_by_a_live_node_is_not_taken_but_a_dead_nodes_is() -> None:
    held = rec.claim(added(), "n1")
    assert rec.judge(held, "n2", owner_alive=True) is rec.Verdict.BUSY
    assert rec.judge(held, "n2", owner_alive=False) is rec.Verdict.RUN
    assert rec.judge(held, "n1", owner_alive=True) is rec.Verdict.RUN  # its own, after a restart
    taken = rec.claim(held, "n2")
    assert (taken["owner"], taken["previous"], taken["attempt"]) == ("n2", "n1", 2)


def test_only_the_holder_records_progress_and_ends_and_a_job_ends_once() -> None:
    taken = rec.claim(rec.claim(added(), "n1"), "n2")
    assert rec.progress(taken, "n1", {"done": 5}) is None  # n1 lost it
    assert rec.progress(taken, "n2", {"done": 5})["done"] == 5  # type: ignore[index]
    assert rec.finish(taken, "n1", "completed") is None
    ended = rec.finish(taken, "n2", "completed", update={"done": 9})
    assert ended is not None and ended["status"] == "completed" and ended["done"] == 9
    assert rec.finish(ended, "n2", "completed") is None
    assert rec.judge(ended, "n3", owner_alive=False) is rec.Verdict.ENDED
    assert rec.cancel(ended) is None


def test_a_released_job_keeps_its_checkpoint_and_error() -> None:
    taken = rec.claim(added(), "n1")
    back = rec.release(
        taken, "n1", {"code": "http", "message": "HTTP 500"}, {"done": 7, "segments": [[0, 9, 7]]}
    )
    assert back is not None
    assert (back["status"], back["owner"], back["previous"], back["done"]) == (
        "queued",
        None,
        "n1",
        7,
    )
    assert back["error"]["code"] == "http"
    assert rec.release(back, "n1") is None


def test_finish_takes_only_an_end() -> None:
    with pytest.raises(ValueError):
        rec.finish(added(), "n1", "downloading")


def test_a_pause_is_recorded_by_the_holder_only_and_survives_a_take_over() -> None:
    held = rec.claim(added(), "n1")
    assert rec.pause(held, "n2", True) is None  # not n2's job
    paused = rec.pause(held, "n1", True)
    assert paused is not None and paused["paused"] is True
    assert rec.pause(paused, "n1", True) is None  # nothing changes: nothing written
    taken = rec.claim(paused, "n2")  # n1 died
    assert taken["paused"] is True and taken["owner"] == "n2"
    back = rec.release(taken, "n2")
    assert back is not None and back["paused"] is True
    resumed = rec.pause(taken, "n2", False)
    assert resumed is not None and resumed["paused"] is False


def test_only_the_holder_passes_the_fence_before_the_final_rename_and_learns_why_not() -> None:
    held = rec.claim(added(), "n1")
    fenced = rec.fence(held, "n1")
    assert fenced is not None and fenced["finishing"] == "n1" and fenced["owner"] == "n1"
    taken = rec.claim(held, "n2")  # n1 was cut off past ack_wait
    assert rec.fence(taken, "n1") is None
    assert not rec.holds(taken, "n1") and rec.holds(taken, "n2")
    assert rec.lost(taken, "n1").startswith("taken over by node n2 while this node was cut off")
    ended = rec.finish(taken, "n2", "completed")
    assert ended is not None and rec.fence(ended, "n2") is None  # it ends once
    assert rec.lost(None, "n1").startswith("removed from the fleet")
    assert rec.lost(rec.cancel(held), "n1").startswith("cancelled in the fleet")  # type: ignore[arg-type]
