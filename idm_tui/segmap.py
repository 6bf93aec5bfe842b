"""The segment map's picture: which part of each screen cell is downloaded.

Pure: ``segment_cells`` maps the job's segments ``[[start, end, done], ...]``
(``end`` exclusive, ``done`` bytes from ``start``) onto ``width`` cells; the
widget only colours the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SHADES = " ░▒▓█"


@dataclass(frozen=True, slots=True)
class Cell:
    share: float  # 0..1 of the cell's bytes downloaded
    segment: int  # index of the segment the cell's middle falls in, -1 for none


def segment_cells(segments: Sequence[Sequence[int]], size: int | None, width: int) -> list[Cell]:
    """``width`` cells over ``size`` bytes; an unknown size gives empty cells."""
    if width <= 0:
        return []
    if not size or size <= 0:
        return [Cell(0.0, -1)] * width
    spans = sorted((int(s[0]), int(s[1]), int(s[2])) for s in segments if len(s) >= 3)
    cells: list[Cell] = []
    for i in range(width):
        lo = size * i / width
        hi = size * (i + 1) / width
        done = 0.0
        owner = -1
        middle = (lo + hi) / 2
        for index, (start, end, got) in enumerate(spans):
            if start <= middle < end:
                owner = index
            if end <= lo or start >= hi:
                continue
            done_end = start + max(0, min(got, end - start))
            done += max(0.0, min(hi, done_end) - max(lo, start))
        cells.append(Cell(min(1.0, done / (hi - lo)), owner))
    return cells


def shade(share: float) -> str:
    """The block for a cell: blank when nothing is done, full when all is."""
    if share >= 0.999:
        return SHADES[-1]
    if share <= 0.0:
        return SHADES[0]
    return SHADES[1 + min(2, int(share * 3))]


def segment_text(segments: Sequence[Sequence[int]], size: int | None, width: int) -> str:
    """The map as plain characters (the snapshot and tmux tests read this)."""
    return "".join(shade(cell.share) for cell in segment_cells(segments, size, width))
