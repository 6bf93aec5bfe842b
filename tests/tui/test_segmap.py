"""The segment map: each cell shows how much of its byte range is on disk."""

from __future__ import annotations

from idm_tui.segmap import segment_cells, segment_text


def test_done_parts_fill_from_each_segment_start() -> None:
    # Two segments of 50 bytes: the first half done, the second one complete.
    cells = segment_cells([[0, 50, 25], [50, 100, 50]], 100, 4)
    assert [c.share for c in cells] == [1.0, 0.0, 1.0, 1.0]
    assert [c.segment for c in cells] == [0, 0, 1, 1]
    assert segment_text([[0, 50, 25], [50, 100, 50]], 100, 4) == "█ ██"


def test_partial_cells_get_lighter_shades() -> None:
    text = segment_text([[0, 100, 10]], 100, 4)
    assert text[0] in "░▒▓"
    assert text[1:] == "   "


def test_unknown_size_or_no_segments_is_an_empty_map() -> None:
    assert segment_text([], None, 5) == "     "
    assert segment_text([], 100, 3) == "   "
    assert segment_cells([[0, 10, 10]], 10, 0) == []


def test_done_never_spills_past_the_segment_end() -> None:
    # A bogus done larger than the segment must not paint the next segment.
    assert segment_text([[0, 50, 80], [50, 100, 0]], 100, 2) == "█ "
