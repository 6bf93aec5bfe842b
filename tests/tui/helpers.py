"""Waiting on a condition inside a Pilot session, with a bound (never a fixed sleep)."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Let the app run until ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await pilot.pause(0.02)


async def ready(pilot: Pilot, selector: str) -> None:
    """Wait until ``selector`` on the current screen is laid out, so keys and clicks land on it."""

    def laid_out() -> bool:
        found = pilot.app.screen.query(selector)
        return bool(found) and found.first().region.area > 0

    await wait_until(pilot, laid_out, what=selector)
    await pilot.pause()
