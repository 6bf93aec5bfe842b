"""Stopping the fleet's background loops for sure.

A cancellation can be lost in Python 3.11: ``asyncio.wait_for`` swallows it when
what it awaits completes at the same moment (nats-py's requests use it, and so do
the loops' own waits). A loop that lost its one cancel goes round again, and a
stop that awaits it waits for ever: a node that would not stop on SIGTERM, seen
after 300 jobs ended at once. So the cancel is repeated until the task has ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

RECANCEL = 0.1  # seconds between cancels of a task that has not ended yet


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any] | None]) -> None:
    """Cancel every task and return once each has ended (its outcome is dropped)."""
    ending = [task for task in tasks if task is not None]
    pending = {task for task in ending if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL)
    await asyncio.gather(*ending, return_exceptions=True)
