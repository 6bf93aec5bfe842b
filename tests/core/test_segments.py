"""The segment planner: dynamic splits never below min_split, always tiling the file."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from idmd.core.segments import (
    Segment,
    covers,
    from_lists,
    merge_finished,
    split_largest,
    take_unowned,
    total_done,
)

MiB = 1024 * 1024


def test_a_new_connection_takes_the_far_half_of_the_largest_remaining_segment() -> None:
    segments = [Segment(0, 8 * MiB, done=2 * MiB, owner=0), Segment(8 * MiB, 10 * MiB, owner=1)]
    piece = split_largest(segments, MiB)
    assert piece is not None
    assert (piece.start, piece.end) == (5 * MiB, 8 * MiB)  # half of the 6 MiB still to come
    assert segments[0].end == 5 * MiB and piece.owner is None
    assert covers(segments, 10 * MiB)


def test_no_split_leaves_a_piece_below_min_split() -> None:
    segments = [Segment(0, 2 * MiB - 1)]
    assert split_largest(segments, MiB) is None
    assert len(segments) == 1


@given(st.integers(1, 64 * MiB), st.integers(1, 32), st.lists(st.integers(0, 100), max_size=40))
def test_splitting_keeps_an_exact_tiling_and_the_minimum(
    size: int, connections: int, progress: list[int]
) -> None:
    min_split = MiB
    segments = [Segment(0, size)]
    for percent in progress:
        for seg in segments:  # some bytes arrive everywhere
            seg.done = min(seg.end - seg.start, seg.done + (seg.end - seg.pos) * percent // 200)
        before = total_done(segments)
        piece = split_largest(segments, min_split)
        assert total_done(segments) == before
        if piece is not None:
            assert piece.end - piece.start >= min_split
        assert covers(segments, size)
        assert len(segments) <= 1 + len(progress)


def test_unowned_segments_are_handed_out_first() -> None:
    segments = [Segment(0, 10, done=10), Segment(10, 20, owner=3), Segment(20, 30)]
    assert take_unowned(segments) is segments[2]


def test_checkpoint_rows_round_trip_and_finished_neighbours_merge() -> None:
    segments = from_lists([[4, 8, 4], [0, 4, 4], [8, 12, 1]])
    assert [s.start for s in segments] == [0, 4, 8]
    merged = merge_finished(segments)
    assert [s.as_list() for s in merged] == [[0, 8, 8], [8, 12, 1]]


def test_bad_checkpoint_rows_are_refused() -> None:
    import pytest

    with pytest.raises(ValueError):
        from_lists([[0, 10, 11]])
    with pytest.raises(ValueError):
        from_lists([[5, 2, 0]])
