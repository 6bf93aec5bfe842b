"""``idm add --wait``: follow the new jobs until each one finishes, drawing one
progress line per job (redrawn in place on a terminal, status changes only
otherwise); the exit status tells the worst outcome.

On a terminal the block is redrawn a few times a second at most and never taller
than the screen: with hundreds of jobs, a redraw of every line per event would
flood the terminal (and cost the CLI more than the downloads cost the daemon).
"""

from __future__ import annotations

import shutil
import sys
import time
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any, TextIO

from idmd.cli import exits
from idmd.cli.format import progress_line
from idmd.cli.notices import ConnectionNotices
from idmd.client.state import StateCallback
from idmd.protocol.models import Job, merge

FINAL = {"completed": exits.OK, "failed": exits.FAILED, "cancelled": exits.CANCELLED}
REDRAW_EVERY = 0.1  # seconds between redraws of the block


def block_lines(jobs: list[Job], width: int, height: int) -> list[str]:
    """At most ``height`` lines: every job's line when they fit, else the unfinished jobs
    first and a last line counting the rest by status."""
    if len(jobs) <= height:
        return [progress_line(job, width) for job in jobs]
    unfinished = [job for job in jobs if job.get("status") not in FINAL]
    shown = unfinished[: height - 1]
    kept = {id(job) for job in shown}
    counts = Counter(str(job.get("status")) for job in jobs if id(job) not in kept)
    rest = ", ".join(f"{n} {status}" for status, n in counts.most_common())
    counted = f"… {len(jobs) - len(shown)} more" if shown else f"{len(jobs)} jobs"
    return [*(progress_line(job, width) for job in shown), f"{counted}: {rest}"]


class ProgressView:
    def __init__(self, out: TextIO, interactive: bool) -> None:
        self.out = out
        self.interactive = interactive
        self.drawn = 0
        self.last_draw = -REDRAW_EVERY

    def draw(self, jobs: Mapping[str, Job], force: bool = False) -> None:
        """Redraw the block in place (on a terminal), unless one was drawn just now."""
        if not self.interactive:
            return
        now = time.monotonic()
        if not force and now - self.last_draw < REDRAW_EVERY:
            return
        self.last_draw = now
        size = shutil.get_terminal_size((100, 20))
        lines = block_lines(list(jobs.values()), size.columns - 1, max(2, size.lines - 1))
        if self.drawn:
            self.out.write(f"\x1b[{self.drawn}F")  # back to the first line of the block
        for line in lines:
            self.out.write("\x1b[2K" + line + "\n")
        if len(lines) < self.drawn:
            self.out.write("\x1b[J")  # the block got shorter: clear what is left below it
        self.drawn = len(lines)
        self.out.flush()

    def printed_below(self) -> None:
        """Something was printed below the block: the next one is drawn below that."""
        self.drawn = 0

    def note(self, job: Job) -> None:
        """A status change, printed as a line of its own when not redrawing."""
        if not self.interactive:
            error = job.get("error")
            reason = (
                f": {error.get('message')}"
                if isinstance(error, dict) and error.get("message")
                else ""
            )
            print(
                f"{job.get('id')} {job.get('status')}{reason}"
                f" {job.get('filename') or job.get('url')}",
                file=self.out,
                flush=True,
            )


Ask = Callable[[Job], Awaitable[None]]
Listen = Callable[[StateCallback], Callable[[], None]]  # Client.add_state_listener
Lookup = Callable[[str], Awaitable[Job | None]]  # jobs.get; None: idmd knows no such job
GONE = "idmd no longer knows this job (it was removed, or lost when idmd restarted)"


async def follow(
    stream: AsyncGenerator[dict[str, Any], None],
    jobs: dict[str, Job],
    out: TextIO = sys.stdout,
    ask: Ask | None = None,
    listen: Listen | None = None,
    lookup: Lookup | None = None,
) -> int:
    """Apply events to ``jobs`` until all are final; returns the exit status.

    ``ask(job)`` is awaited once each time a job starts waiting for a duplicate decision;
    ``listen``: the client's, to say on stderr when the connection is lost and back;
    ``lookup``: after a reconnection, asked for each followed job the new snapshot lacks (it
    holds the unfinished and the recently finished jobs only, and after a restart of idmd
    no finished one): one that ended meanwhile is found in the history, one gone is told.
    """
    view = ProgressView(out, out.isatty())
    unlisten = listen(ConnectionNotices(printed=view.printed_below)) if listen else None
    try:
        return await _follow(stream, jobs, view, ask, lookup)
    finally:
        if unlisten is not None:
            unlisten()


async def _follow(
    stream: AsyncGenerator[dict[str, Any], None],
    jobs: dict[str, Job],
    view: ProgressView,
    ask: Ask | None,
    lookup: Lookup | None,
) -> int:
    order = list(jobs)
    outcome: dict[str, int] = {}
    asked: set[str] = set()

    async def settle(job_id: str) -> None:
        job = jobs[job_id]
        status = job.get("status")
        if status in FINAL and job_id not in outcome:
            outcome[job_id] = FINAL[status]
            view.note(job)
        if status == "waiting" and ask is not None and job_id not in asked:
            asked.add(job_id)
            view.printed_below()  # the question goes below the block
            await ask(job)
        elif status != "waiting":
            asked.discard(job_id)

    for job_id in order:
        await settle(job_id)
    view.draw(jobs, force=True)
    async for item in stream:
        if len(outcome) == len(order):
            break
        if item.get("type") == "snapshot":
            present = set()
            for job in (item.get("snapshot") or {}).get("jobs", []):
                if job.get("id") in jobs:
                    present.add(job["id"])
                    merge(jobs[job["id"]], job)
                    await settle(job["id"])
            for job_id in order:
                if lookup is None or job_id in present or job_id in outcome:
                    continue
                found = await lookup(job_id)
                if found is None:
                    print(f"{job_id}: {GONE}", file=sys.stderr, flush=True)
                    view.printed_below()
                merge(jobs[job_id], found or {"status": "cancelled", "error": {"message": GONE}})
                await settle(job_id)
        else:
            job_id = str(item.get("job"))
            if job_id not in jobs:
                continue
            kind, data = item.get("type"), item.get("data") or {}
            if kind == "job.log" and data.get("level") in ("warning", "error"):
                print(f"{job_id}: {data.get('message')}", file=sys.stderr, flush=True)
                view.printed_below()
            elif kind == "job.removed":
                jobs[job_id]["status"] = "cancelled"
            elif kind in ("job.progress", "job.updated", "job.status", "job.added"):
                merge(jobs[job_id], data)
            if kind in ("job.status", "job.removed"):
                await settle(job_id)
        view.draw(jobs)
        if len(outcome) == len(order):
            break
    view.draw(jobs, force=True)
    if len(outcome) < len(order):
        return exits.CONNECTION_LOST  # the stream ended (client closed) before every job did
    return max(outcome.values(), default=exits.OK)
