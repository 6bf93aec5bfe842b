"""How many connections a download holds (``idmd.core.ramp``), on simulated links.

A link is a function from the number of connections delivering (and the time)
to the aggregate speed; each connection reports a write every 256 KiB, as the
engine does, so the controller sees what it sees in a real download.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from idmd.core.ramp import MAX_PROBE_AFTER, SETTLE, START, WINDOW, Ramp

MiB = 1024 * 1024
FLUSH = 256 * 1024  # a connection reports its bytes every 256 KiB (the engine's FLUSH_BYTES)
Link = Callable[[int, float], float]  # (connections delivering, seconds) -> bytes per second


def aggregate_cap(rate: float) -> Link:
    return lambda n, t: rate if n else 0.0


def per_connection_cap(rate: float) -> Link:
    return lambda n, t: n * rate


def simulate(
    link: Link,
    ceiling: int,
    seconds: float,
    *,
    noise: float = 0.03,
    setup: float = 0.05,
    most: int | None = None,
) -> tuple[Ramp, list[tuple[float, int]]]:
    """Run a download for ``seconds`` on ``link``; the engine follows the ramp at once
    (``most``: it cannot open more than this). Returns the ramp and (time, count) every tick."""
    ramp = Ramp(ceiling)
    rng = random.Random(7)
    opened: dict[int, float] = {}  # connection -> when it was opened
    pending: dict[int, float] = {}
    next_id, t, dt, counts = 0, 0.0, 0.005, []
    step = 0
    while t < seconds:
        live = [c for c, at in opened.items() if t >= at + setup]
        total = link(len(live), t) * (1 + rng.uniform(-noise, noise))
        for conn in live:
            pending[conn] = pending.get(conn, 0.0) + total / len(live) * dt
            if pending[conn] >= FLUSH:
                ramp.wrote(conn, t, int(pending[conn]))
                pending[conn] = 0.0
        if step % 10 == 0:  # the engine looks every 0.05 s
            target = ramp.observe(t, len(opened))
            while len(opened) < target:
                if most is not None and len(opened) >= most:
                    ramp.unreachable(t, len(opened))
                    break
                opened[next_id] = t
                next_id += 1
            while len(opened) > target:  # the newest connection is retired
                del opened[max(opened)]
            counts.append((t, len(opened)))
        t += dt
        step += 1
    return ramp, counts


def test_a_link_capped_in_aggregate_keeps_few_connections() -> None:
    _, counts = simulate(aggregate_cap(200 * MiB), ceiling=16, seconds=30)
    assert max(c for _, c in counts) <= 2 * START  # one try with more, never further
    assert counts[-1][1] == START
    # Most of the time is spent at the start count: a try for more lasts about a second.
    at_start = sum(1 for _, c in counts if c == START)
    assert at_start >= 0.8 * len(counts)


def test_a_link_capped_per_connection_climbs_to_the_ceiling() -> None:
    _, counts = simulate(per_connection_cap(4 * MiB), ceiling=16, seconds=10)
    assert max(c for _, c in counts) == 16
    assert counts[-1][1] == 16
    reached = next(t for t, c in counts if c == 16)
    assert reached < 5.0  # three doublings, each measured in about a second


def test_the_ceiling_is_never_passed_and_stays_when_it_pays() -> None:
    _, counts = simulate(per_connection_cap(4 * MiB), ceiling=6, seconds=10)
    assert max(c for _, c in counts) == 6
    assert counts[-1][1] == 6


def test_a_link_that_stops_growing_halfway_holds_where_it_stops() -> None:
    # Each connection brings 4 MiB/s up to 24 MiB/s: 6 connections would do.
    link: Link = lambda n, t: min(n * 4 * MiB, 24 * MiB)
    _, counts = simulate(link, ceiling=32, seconds=30)
    # 2 -> 4 grew in proportion, so the next step was x4: 16, only +50%, a speed 6 would give.
    # The doubling it skipped (8) was tried, as fast, and kept: the count holds at the first
    # doubling past the knee, and never went past 16 (later tries for more go to 16 and back).
    assert counts[-1][1] == 8
    assert max(c for _, c in counts) == 16
    assert sum(1 for _, c in counts if c == 8) >= 0.8 * len(counts)


def test_a_step_past_the_knee_goes_back_up_when_fewer_are_slower() -> None:
    # 4 MiB/s each up to 4 connections, then 1.25 MiB/s each: 16 give 31 MiB/s, 8 only 21.
    link: Link = lambda n, t: min(n, 4) * 4 * MiB + max(n - 4, 0) * 1.25 * MiB
    _, counts = simulate(link, ceiling=16, seconds=10)
    assert [c for _, c in counts][-1] == 16
    # 16 gained +94% over 4 (less than half in proportion): 8 was tried, slower, so back to 16.
    seen = [c for i, (_, c) in enumerate(counts) if i == 0 or counts[i - 1][1] != c]
    assert seen == [2, 4, 16, 8, 16]


def test_a_link_capped_per_connection_climbs_in_big_steps() -> None:
    _, counts = simulate(per_connection_cap(4 * MiB), ceiling=32, seconds=10)
    seen = sorted({c for _, c in counts})
    assert seen == [2, 4, 16, 32]  # doubled once, then in proportion: x4


def test_a_step_that_grew_in_proportion_is_judged_before_the_full_window() -> None:
    _, counts = simulate(per_connection_cap(4 * MiB), ceiling=32, seconds=10)
    ticks_at = {c: sum(1 for _, n in counts if n == c) for c in (4, 16)}
    # Each of those steps was judged once every connection had written three times (each
    # writes every 1/16 s at 4 MiB/s), not after SETTLE + WINDOW (8 looks of 0.05 s or more).
    full = (SETTLE + WINDOW) / 0.05
    assert ticks_at[4] < full and ticks_at[16] < full, ticks_at


def test_the_first_measurement_of_steady_connections_is_judged_early() -> None:
    _, counts = simulate(per_connection_cap(8 * MiB), ceiling=32, seconds=3)
    # No SETTLE before it and no full WINDOW: three writes of each connection (each writes
    # every 1/32 s), about 0.15 s after it opened.
    assert sum(1 for _, n in counts if n == START) <= 0.2 / 0.05


def test_a_first_measurement_while_connections_speed_up_waits_for_the_full_window() -> None:
    # Each connection speeds up over its first half second (TCP's slow start), then 4 MiB/s.
    link: Link = lambda n, t: n * 8 * MiB * min(1.0, 0.1 + 2 * t)
    _, counts = simulate(link, ceiling=32, seconds=3)
    assert sum(1 for _, n in counts if n == START) >= WINDOW / 0.05


def test_writes_bunched_after_a_stall_do_not_look_like_a_step_in_proportion() -> None:
    # A busy machine: the loop stalls, then reads what queued up meanwhile in one go. The
    # writes come a millisecond apart, so their pace looks many times what the link gives.
    ramp = Ramp(16)
    now = measure(ramp, 0.0, 2, 8 * MiB)
    assert ramp.target == 4
    ramp.observe(now, 4)
    at = now + SETTLE + 0.2  # 0.2 s of 8 MiB/s for all four (a shared line), read at once
    for conn in range(4):
        for k in range(3):
            ramp.wrote(conn, at + k * 0.001, int(8 * MiB * 0.2 / 4 / 3))
    assert ramp.observe(at + 0.003, 4) == 4  # not judged early: the window's bytes say 8 MiB/s


def test_a_step_that_did_not_grow_in_proportion_waits_for_the_full_window() -> None:
    # 4 connections are 20% faster than 2: not in proportion, so the window is waited for.
    link: Link = lambda n, t: (100 if n <= 2 else 120) * MiB
    _, counts = simulate(link, ceiling=16, seconds=3)
    ticks_at_4 = sum(1 for _, n in counts if n == 4)
    assert ticks_at_4 >= (SETTLE + WINDOW) / 0.05


def test_more_connections_are_tried_again_when_the_link_allows_more() -> None:
    # Capped in aggregate for 20 s, then per connection (the other downloads on the line ended).
    link: Link = lambda n, t: (100 * MiB if n else 0.0) if t < 20 else n * 10 * MiB
    _, counts = simulate(link, ceiling=16, seconds=20 + MAX_PROBE_AFTER + 10)
    assert max(c for t, c in counts if t < 20) <= 2 * START
    assert counts[-1][1] == 16


def test_where_no_more_can_be_opened_the_count_holds_there() -> None:
    ramp, counts = simulate(per_connection_cap(4 * MiB), ceiling=16, seconds=10, most=3)
    assert max(c for _, c in counts) == 3
    assert ramp.target == 3 or ramp.target == 6  # held at 3, or trying again


def test_a_ceiling_of_one_is_one() -> None:
    _, counts = simulate(per_connection_cap(4 * MiB), ceiling=1, seconds=5)
    assert {c for _, c in counts} == {1}


def measure(ramp: Ramp, now: float, count: int, rate: float) -> float:
    """Feed one second of ``count`` connections writing ``rate`` bytes per second in all, as
    the engine would (a look every 0.05 s); returns the time after it."""
    ramp.observe(now, count)
    for step in range(1, 21):
        at = now + step * 0.05
        for conn in range(count):
            ramp.wrote(conn, at, int(rate / count * 0.05))
        ramp.observe(at, count)
    return now + 1.0


def test_one_measurement_that_gained_nothing_is_taken_again_before_going_back() -> None:
    ramp = Ramp(16)
    now = measure(ramp, 0.0, 2, 100 * MiB)
    assert ramp.target == 4
    # 4 connections: no faster in the first measurement (their first moments), then faster
    # (but not in proportion, so the next step is a doubling).
    ramp.observe(now, 4)
    for step in range(1, 41):
        at = now + SETTLE + step * 0.05
        rate = 100 * MiB if step <= 7 else 150 * MiB
        for conn in range(4):
            ramp.wrote(conn, at, int(rate / 4 * 0.05))
        ramp.observe(at, 4)
    assert ramp.target == 8  # it stayed at 4 long enough to see the gain, and went on
    # 8 connections, no faster in two measurements: back to 4.
    measure(ramp, now + 3.0, 8, 100 * MiB)
    assert ramp.target == 4
    assert "8 connections were not faster than 4" in ramp.reason


events = st.lists(
    st.tuples(
        st.floats(0, 0.5, allow_nan=False),  # time since the last event
        st.integers(0, 40),  # connections open
        st.integers(0, 8 * MiB),  # bytes written (0: an observe instead)
    ),
    max_size=200,
)


@given(st.integers(1, 64), events)
def test_the_target_stays_between_one_and_the_ceiling(ceiling: int, steps: list) -> None:
    ramp = Ramp(ceiling)
    now = 0.0
    for gap, count, written in steps:
        now += gap
        if written:
            ramp.wrote(count, now, written)
        else:
            assert 1 <= ramp.observe(now, count) <= ceiling
        if count % 7 == 0:
            ramp.unreachable(now, count)
        assert 1 <= ramp.target <= ceiling
