"""The per-subscriber queue alone: filters, coalescing, rate, order, overflow."""

from __future__ import annotations

import itertools

from idmd.events.subscriber import Subscriber
from idmd.protocol.events import Event, EventType

_seq = itertools.count(1)


def ev(type: EventType, job: str | None = "a", **data: object) -> Event:
    return Event(next(_seq), type, job, 0.0, dict(data))


def drain(sub: Subscriber, now: float) -> list[Event]:
    out = []
    while (event := sub.pop(now)) is not None:
        out.append(event)
    return out


def test_filters_by_type_and_job_but_keeps_jobless_events() -> None:
    sub = Subscriber(jobs=["a"], types=["job.status", "stats"])
    events = [
        ev(EventType.JOB_STATUS, "a"),
        ev(EventType.JOB_STATUS, "b"),
        ev(EventType.JOB_ADDED, "a"),
        ev(EventType.STATS, None),
    ]
    for e in events:
        sub.offer(e, 0)
    assert drain(sub, 0) == [events[0], events[3]]


def test_progress_coalesces_to_the_latest_and_moves_back_keeping_seq_order() -> None:
    sub = Subscriber(rate=0)
    p1 = ev(EventType.JOB_PROGRESS, "a", done=1)
    status = ev(EventType.JOB_STATUS, "b", status="paused")
    p2 = ev(EventType.JOB_PROGRESS, "a", done=2)
    other = ev(EventType.JOB_PROGRESS, "b", done=9)
    for e in (p1, status, p2, other):
        sub.offer(e, 0)
    out = drain(sub, 0)
    assert out == [status, p2, other]
    assert [e.seq for e in out] == sorted(e.seq for e in out)


def test_progress_is_delivered_at_most_ten_times_a_second_per_job() -> None:
    sub = Subscriber()
    sent: list[tuple[float, Event]] = []
    for step in range(300):  # one progress event every 10 ms for three seconds
        now = step * 0.01
        sub.offer(ev(EventType.JOB_PROGRESS, "a", done=step), now)
        sent += [(now, e) for e in drain(sub, now)]
    sent += [(5.0, e) for e in drain(sub, 5.0)]
    times = [t for t, _ in sent]
    assert all(len([t for t in times if start <= t < start + 0.999]) <= 10 for start in times)
    assert len(sent) >= 28
    assert sent[-1][1].data["done"] == 299  # the last numbers are never lost
    assert sub.next_due() is None


def test_a_jittery_ten_hertz_stream_is_not_delayed() -> None:
    sub = Subscriber()
    for step in range(50):  # the engine's 100 ms tick, sometimes a little early
        now = step * 0.1 - (0.003 if step % 2 else 0)
        sub.offer(ev(EventType.JOB_PROGRESS, "a", done=step), now)
        assert [e.data["done"] for e in drain(sub, now)] == [step]


def test_held_progress_goes_out_before_a_later_event_of_its_job() -> None:
    sub = Subscriber(rate=1, window=0.1)
    sub.offer(ev(EventType.JOB_PROGRESS, "a", done=1), 0)
    assert drain(sub, 0)[0].data["done"] == 1
    held = ev(EventType.JOB_PROGRESS, "a", done=50)
    sub.offer(held, 0.01)
    assert sub.pop(0.01) is None and sub.next_due() == 0.1
    done = ev(EventType.JOB_STATUS, "a", status="completed")
    sub.offer(done, 0.02)
    assert drain(sub, 0.02) == [held, done]


def test_a_full_queue_drops_non_critical_events_and_overflows_on_critical_ones() -> None:
    sub = Subscriber(limit=3)
    for _ in range(3):
        assert sub.offer(ev(EventType.JOB_ADDED), 0)
    assert sub.offer(ev(EventType.JOB_LOG, message="x"), 0)
    assert sub.dropped == 1 and not sub.overflowed
    assert not sub.offer(ev(EventType.JOB_STATUS, status="failed"), 0)
    assert sub.overflowed


def test_replay_may_exceed_the_limit() -> None:
    sub = Subscriber(limit=2)
    for _ in range(10):
        assert sub.offer(ev(EventType.JOB_ADDED), 0, replay=True)
    assert len(drain(sub, 0)) == 10 and not sub.overflowed


def test_stats_coalesce_without_a_rate() -> None:
    sub = Subscriber()
    for n in range(5):
        sub.offer(ev(EventType.STATS, None, n=n), 0)
    assert [e.data["n"] for e in drain(sub, 0)] == [4]
