from idmd.events import EventBus
from idmd.protocol.events import EventType


def test_seq_strictly_increases_and_replay_returns_what_follows() -> None:
    bus = EventBus(retention=4096)
    seen = []
    remove = bus.listen(seen.append)
    for _ in range(10):
        bus.emit(EventType.STATS)
    assert [e.seq for e in seen] == list(range(1, 11))
    events, reset = bus.replay(7)
    assert [e.seq for e in events] == [8, 9, 10] and not reset
    remove()
    bus.emit(EventType.STATS)
    assert len(seen) == 10 and bus.listener_count == 0


def test_replay_from_before_the_window_says_reset() -> None:
    bus = EventBus(retention=4096)
    for _ in range(5000):
        bus.emit(EventType.JOB_LOG, "j", {})
    events, reset = bus.replay(10)
    assert reset and len(events) == 4096 and events[0].seq == 905
    events, reset = bus.replay(904)
    assert not reset and events[0].seq == 905
    assert bus.replay(5000) == ([], False)


def test_a_failing_listener_does_not_stop_the_others() -> None:
    bus = EventBus()
    seen = []
    bus.listen(lambda e: 1 / 0)
    bus.listen(seen.append)
    bus.emit(EventType.STATS)
    assert len(seen) == 1
