"""Byte-range planning: dynamic segmentation of one file across connections.

A connection that finishes takes the far half of the largest remaining
segment, so every connection stays busy to the end; no piece is ever smaller
than ``min_split``. Moving bytes is ``idmd.engine.http``'s job.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass
class Segment:
    """``[start, end)`` of the file; ``done`` bytes from ``start`` are written."""

    start: int
    end: int
    done: int = 0
    owner: int | None = None  # the connection working on it, if any

    @property
    def pos(self) -> int:
        return self.start + self.done

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    @property
    def finished(self) -> bool:
        return self.pos >= self.end

    def as_list(self) -> list[int]:
        return [self.start, self.end, self.done]


def from_lists(rows: Iterable[Sequence[int]]) -> list[Segment]:
    """Segments from ``[[start, end, done], ...]`` (a checkpoint); bad rows are refused."""
    segments = [Segment(int(r[0]), int(r[1]), int(r[2])) for r in rows]
    for seg in segments:
        if seg.start < 0 or seg.end < seg.start or not 0 <= seg.done <= seg.end - seg.start:
            raise ValueError(f"bad segment {seg.as_list()}")
    return sorted(segments, key=lambda s: s.start)


def covers(segments: Sequence[Segment], size: int) -> bool:
    """Whether the segments tile ``[0, size)`` exactly, without gaps or overlaps."""
    pos = 0
    for seg in sorted(segments, key=lambda s: s.start):
        if seg.start != pos:
            return False
        pos = seg.end
    return pos == size


def total_done(segments: Iterable[Segment]) -> int:
    return sum(s.done for s in segments)


def take_unowned(segments: Sequence[Segment]) -> Segment | None:
    """The first unfinished segment nobody works on (after a resume or a failed connection)."""
    for seg in segments:
        if seg.owner is None and not seg.finished:
            return seg
    return None


SMALLEST_SPLIT = 256 * 1024  # below this a piece costs more in requests than it can gain


def split_floor(size: int | None, connections: int, min_split: int) -> int:
    """The smallest piece to split off for a file of ``size`` over ``connections``.

    ``min_split`` for a big file; for a small one, less, so that it still gets
    its connections (a 3.6 MiB clip from a server that caps each connection
    is otherwise two streams): pieces of about ``size / (2 * connections)``,
    never below ``SMALLEST_SPLIT`` unless ``min_split`` itself is.
    """
    if not size or connections <= 1:
        return min_split
    return min(min_split, max(SMALLEST_SPLIT, size // (2 * connections)))


def splittable(size: int | None, connections: int, min_split: int) -> bool:
    """Whether a file of ``size`` could ever be split between connections (a smaller one is
    always one stream, from its first response to its last byte)."""
    return size is not None and size >= 2 * split_floor(size, connections, min_split)


def split_largest(segments: list[Segment], min_split: int) -> Segment | None:
    """Cut the far half off the largest remaining segment; the new piece is returned.

    The piece is appended to ``segments`` (unowned). ``None`` when no segment
    has at least ``2 * min_split`` bytes left, so no piece is below ``min_split``.
    """
    candidates = [s for s in segments if not s.finished]
    if not candidates:
        return None
    largest = max(candidates, key=lambda s: s.remaining)
    if largest.remaining < 2 * min_split:
        return None
    mid = largest.pos + largest.remaining // 2
    piece = Segment(mid, largest.end)
    largest.end = mid
    segments.append(piece)
    segments.sort(key=lambda s: s.start)
    return piece


def merge_finished(segments: list[Segment]) -> list[Segment]:
    """Adjacent finished segments joined: keeps the checkpoint small after many splits."""
    merged: list[Segment] = []
    for seg in sorted(segments, key=lambda s: s.start):
        last = merged[-1] if merged else None
        if last is not None and last.finished and seg.finished and last.end == seg.start:
            last.end = seg.end
            last.done = last.end - last.start
        else:
            merged.append(seg)
    return merged
