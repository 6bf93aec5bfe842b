"""``split_floor``: big files keep ``min_split``;
a small one is split finer to use its connections."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from idmd.core.segments import SMALLEST_SPLIT, Segment, split_floor, split_largest

KiB, MiB = 1024, 1024 * 1024


def pieces(size: int, connections: int, min_split: int) -> int:
    """How many connections a fresh download of ``size`` bytes starts (each takes one split)."""
    segments = [Segment(0, size, owner=0)]
    floor = split_floor(size, connections, min_split)
    while len(segments) < connections and split_largest(segments, floor) is not None:
        pass
    return len(segments)


def test_a_short_clip_gets_all_eight_connections() -> None:
    assert pieces(int(3.6 * MiB), 8, MiB) == 8
    assert pieces(int(3.6 * MiB), 8, 4 * MiB) == 8


def test_big_files_keep_min_split() -> None:
    assert split_floor(1024 * MiB, 8, MiB) == MiB
    assert split_floor(None, 8, MiB) == MiB  # size unknown


def test_small_files_are_not_cut_into_crumbs() -> None:
    assert pieces(256 * KiB, 8, MiB) == 1
    assert split_floor(600 * KiB, 16, MiB) == SMALLEST_SPLIT


def test_a_smaller_min_split_is_kept() -> None:
    assert split_floor(3 * MiB, 8, 64 * KiB) == 64 * KiB


@given(st.integers(1, 4096 * MiB), st.integers(1, 32), st.integers(64 * KiB, 64 * MiB))
def test_the_floor_never_exceeds_min_split_nor_drops_below_the_smallest(
    size: int, conns: int, min_split: int
) -> None:
    floor = split_floor(size, conns, min_split)
    assert floor <= min_split
    assert floor >= min(min_split, SMALLEST_SPLIT)
