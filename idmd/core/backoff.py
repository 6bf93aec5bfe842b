"""Retry timing: exponential back-off with full jitter, and ``Retry-After``.

Which errors are worth a retry is decided in ``idmd.engine.http.errors``;
this module only says how long to wait.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER = 600.0  # a server asking for more than 10 minutes is treated as 10 minutes


def backoff_delay(
    attempt: int, base: float = 0.25, cap: float = 30.0, rand: random.Random | None = None
) -> float:
    """Seconds to wait before retry number ``attempt``
    (1-based): ``base * 2**(attempt-1)``, jittered.

    Jitter is "equal jitter": half fixed, half random, so connections that
    failed together do not come back together, yet the wait still grows.
    """
    if attempt < 1:
        return 0.0
    ceiling = min(cap, base * (2 ** (attempt - 1)))
    r = (rand or random).random()
    return ceiling / 2 + r * ceiling / 2


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds
    or an HTTP date); None if absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def retry_wait(
    attempt: int, retry_after: float | None, base: float = 0.25, rand: random.Random | None = None
) -> float:
    """The wait before a retry: the server's ``Retry-After`` when it gave one, else back-off."""
    delay = backoff_delay(attempt, base, rand=rand)
    return max(delay, retry_after) if retry_after is not None else delay
