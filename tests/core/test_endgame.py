"""Which tail an idle connection duplicates, and how much overlap a range costs."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from idmd.core.endgame import MAX_STREAMS, SILENT_SECONDS, Tail, eta, overlap_for, pick_duplicate

tails = st.builds(
    Tail,
    remaining=st.integers(0, 1 << 30),
    rate=st.floats(0, 1e10, allow_nan=False),
    silent=st.floats(0, 100, allow_nan=False),
    streams=st.integers(1, 3),
)


@given(st.lists(tails, max_size=12), st.floats(0, 1e10, allow_nan=False))
def test_a_pick_is_an_unfinished_tail_with_room_for_one_more_stream(
    items: list[Tail], helper: float
) -> None:
    chosen = pick_duplicate(items, helper)
    if chosen is not None:
        assert items[chosen].remaining > 0
        assert items[chosen].streams < MAX_STREAMS
        # No other eligible tail would take longer.
        assert all(eta(t) <= eta(items[chosen]) for t in items if t.streams < MAX_STREAMS)


@given(st.lists(tails, max_size=12), st.integers(1, 1 << 30), st.floats(0, 1e10, allow_nan=False))
def test_a_stalled_tail_is_always_taken_over(
    items: list[Tail], remaining: int, helper: float
) -> None:
    stalled = Tail(remaining=remaining, rate=1e6, silent=SILENT_SECONDS, streams=1)
    chosen = pick_duplicate([*items, stalled], helper)
    assert chosen is not None
    assert math.isinf(eta([*items, stalled][chosen]))


def test_a_fast_tail_is_left_alone() -> None:
    # 1 MiB left at 100 MiB/s: done in 10 ms, less than a new request costs.
    assert pick_duplicate([Tail(1 << 20, 100e6, 0.01, 1)], helper_rate=100e6) is None


def test_a_crawling_tail_is_taken_when_the_helper_is_faster() -> None:
    crawl = Tail(remaining=2 << 20, rate=40e3, silent=0.2, streams=1)  # 52 s to go
    assert pick_duplicate([crawl], helper_rate=50e6) == 0
    assert pick_duplicate([crawl], helper_rate=40e3) is None  # a helper as slow gains nothing


@given(st.integers(0, 1 << 40))
def test_the_overlap_costs_at_most_one_percent(requested: int) -> None:
    assert 0 <= overlap_for(requested) * 100 <= requested
    assert overlap_for(requested) <= 4096
