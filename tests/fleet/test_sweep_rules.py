"""Which ended records a sweep purges (idmd/fleet/sweep.py ``to_purge``): by count and by age,
pure, no server."""

from __future__ import annotations

from idmd.fleet.ledger import Entry
from idmd.fleet.sweep import DAY, to_purge

NOW = 1_000_000_000.0


def entry(job_id: str, revision: int, days_ago: float, status: str = "completed") -> Entry:
    return Entry({"id": job_id, "status": status}, revision, NOW - days_ago * DAY)


def test_beyond_keep_ended_the_oldest_go_first_and_unended_records_never() -> None:
    entries = [
        entry("c", 3, 1),
        entry("a", 1, 3),
        entry("run", 2, 5, status="downloading"),
        entry("b", 2, 2, status="failed"),
        entry("q", 9, 9, status="queued"),
    ]
    assert to_purge(entries, keep=1, keep_days=0, now=NOW) == ["a", "b"]
    assert to_purge(entries, keep=3, keep_days=0, now=NOW) == []
    assert to_purge(entries, keep=0, keep_days=0, now=NOW) == ["a", "b", "c"]


def test_records_ended_longer_ago_than_keep_ended_days_go_whatever_the_count() -> None:
    entries = [entry("new", 5, 0.5), entry("old", 1, 40), entry("mid", 3, 29.9, "cancelled")]
    assert to_purge(entries, keep=1000, keep_days=30, now=NOW) == ["old"]
    assert to_purge(entries, keep=1000, keep_days=0.25, now=NOW) == ["old", "mid", "new"]
    assert to_purge(entries, keep=1000, keep_days=0, now=NOW) == []  # 0: no limit by age
    # both rules: the oldest beyond the count, and the old ones however few
    assert to_purge(entries, keep=2, keep_days=30, now=NOW) == ["old"]
    assert to_purge(entries, keep=1, keep_days=30, now=NOW) == ["old", "mid"]
