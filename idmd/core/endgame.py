"""The end of a segmented download: which tail an idle connection should duplicate.

When no bytes are left to hand out, a connection that is stalled or crawling
would hold the whole job. An idle connection then asks for the same remaining
range again; whichever stream reaches the segment's end first wins and the
other is cancelled. Duplicating costs bytes fetched twice, so it is done only
where it plausibly finishes sooner. Pure arithmetic: ``idmd.engine.http``
measures the streams and moves the bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# A stream that wrote nothing for this long is treated as stalled (it writes what it has at
# least every 0.5 s, see ``idmd.engine.http.fetch.FLUSH_SECONDS``).
SILENT_SECONDS = 1.0
# What a new request costs before its first byte (connect, request, first response).
SETUP_SECONDS = 0.25
MAX_STREAMS = 2  # per segment: the original and one duplicate

# Overlap read past a segment's end to compare with the neighbour's bytes on disk.
OVERLAP_BYTES = 4096
OVERLAP_SHARE = 100  # the overlap is at most 1/100 of the requested bytes


@dataclass(frozen=True)
class Tail:
    """One unfinished segment as the idle connection sees it."""

    remaining: int  # bytes from its furthest written position to its end
    rate: float  # bytes per second of its fastest stream (0: unknown or none yet)
    silent: float  # seconds since any of its streams last wrote
    streams: int  # how many connections work on it now


def eta(tail: Tail) -> float:
    """Seconds until the segment is done at its present pace (inf: stalled)."""
    if tail.remaining <= 0:
        return 0.0
    if tail.silent >= SILENT_SECONDS:
        return math.inf
    if tail.rate <= 0:
        return 0.0  # just started: no evidence it is slow yet
    return tail.remaining / tail.rate


def pick_duplicate(tails: Sequence[Tail], helper_rate: float) -> int | None:
    """Index of the tail an idle connection should fetch again, or None.

    The slowest tail by ETA is chosen if a fresh stream at ``helper_rate`` (the
    idle connection's own last pace; 0 when unknown, then the best pace seen)
    would finish it clearly sooner, and it has fewer than ``MAX_STREAMS``.
    """
    best_rate = max([helper_rate, *(t.rate for t in tails)], default=0.0)
    chosen: int | None = None
    chosen_eta = 0.0
    for index, tail in enumerate(tails):
        if tail.streams >= MAX_STREAMS or tail.remaining <= 0:
            continue
        left = eta(tail)
        if left <= chosen_eta:
            continue
        mine = SETUP_SECONDS + (tail.remaining / best_rate if best_rate > 0 else 0.0)
        if left > 2 * mine:
            chosen, chosen_eta = index, left
    return chosen


def overlap_for(requested: int) -> int:
    """Bytes read past a range's end to check the neighbour: a few KiB, at most 1% of the range."""
    return max(0, min(OVERLAP_BYTES, requested // OVERLAP_SHARE))
