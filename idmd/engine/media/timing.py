"""``Phases``: where a media job's time went, one job log line as each phase ends.

Extract (at add time and handed over, or in the job's own worker), first
byte, transfer and merge: what a user needs to see why a short clip took as
long as it did.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from idmd.engine.jobs import Job

FIRST_BYTE_LOOK = 0.01  # seconds between looks at a direct download's first bytes


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


class Phases:
    def __init__(
        self, log: Callable[[str], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._log = log
        self._clock = clock
        self.start = clock()
        self.first_byte_at: float | None = None
        self._merge_at: float | None = None

    def extracted(self, seconds: float, how: str) -> None:
        self._log(f"time: extract {seconds:.2f} s ({how})")

    def first_byte(self) -> None:
        if self.first_byte_at is None:
            self.first_byte_at = self._clock()
            self._log(
                f"time: first byte {self.first_byte_at - self.start:.2f} s after the job started"
            )

    def transferred(self, size: int | None) -> None:
        end = self._clock()
        seconds = end - (self.first_byte_at if self.first_byte_at is not None else self.start)
        rate = f", {size / 2**20 / seconds:.1f} MiB/s" if size and seconds > 0 else ""
        self._log(
            f"time: transfer {seconds:.2f} s ({_mib(size) if size else 'size unknown'}{rate})"
        )

    def merging(self) -> None:
        if self._merge_at is None:
            self._merge_at = self._clock()

    def finished(self, size: int | None) -> None:
        """The file is complete: the merge ends here if one ran, else the transfer."""
        if self._merge_at is not None:
            self._log(f"time: merge {self._clock() - self._merge_at:.2f} s")
            self._merge_at = None
        else:
            self.transferred(size)


async def watch_first_byte(job: Job, phases: Phases) -> None:
    """Notes when the HTTP engine's first response arrives, its body right behind it.

    The engine reports bytes to the engine, not to this runner, and only per
    written buffer; its first response sets the job's segments (a resume's
    are there already, so its first written bytes count instead).
    """
    before, resumed = job.done, bool(job.segments)
    while job.done <= before and (resumed or not job.segments):
        await asyncio.sleep(FIRST_BYTE_LOOK)
    phases.first_byte()
