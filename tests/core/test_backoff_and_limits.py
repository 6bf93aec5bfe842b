"""Back-off grows with jitter, Retry-After is read both ways, the token bucket paces bytes."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from idmd.core.backoff import backoff_delay, parse_retry_after, retry_wait
from idmd.core.checksum import parse_checksum
from idmd.core.tokenbucket import TokenBucket


def test_backoff_grows_and_is_jittered_within_bounds() -> None:
    rand = random.Random(7)
    for attempt in range(1, 8):
        ceiling = min(30.0, 0.25 * 2 ** (attempt - 1))
        delays = {backoff_delay(attempt, rand=rand) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter: connections that failed together come back apart
    assert backoff_delay(50) <= 30.0


def test_retry_after_in_seconds_and_as_a_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("999999") == 600.0  # a server cannot park a job for days
    assert retry_wait(1, 5.0) == 5.0


def test_token_bucket_paces_to_the_rate() -> None:
    bucket = TokenBucket(1000, now=0.0, burst=1000)
    assert bucket.take(1000, now=0.0) == 0.0
    assert bucket.take(500, now=0.0) == pytest.approx(0.5)
    assert bucket.take(500, now=1.0) == pytest.approx(0.0)  # refilled meanwhile
    sent, now = 0, 1.0
    while now < 11.0:  # ten seconds of a greedy sender
        now += bucket.take(10_000, now)
        sent += 10_000
    assert sent / 10.0 == pytest.approx(1000, rel=0.15)


def test_no_limit_never_waits() -> None:
    bucket = TokenBucket(0, now=0.0)
    assert bucket.take(10**9, now=0.0) == 0.0


def test_checksum_specs() -> None:
    spec = parse_checksum("SHA256=" + "AB" * 32)
    assert (spec.algorithm, spec.hexdigest) == ("sha256", "ab" * 32)
    assert str(parse_checksum("md5=" + "0" * 32)) == "md5=" + "0" * 32
    for bad in ("sha256=abc", "crc32=00000000", "nonsense", "md5=" + "g" * 32):
        with pytest.raises(ValueError):
            parse_checksum(bad)


def test_a_debt_is_owed_at_the_rate_in_force() -> None:
    bucket = TokenBucket(100_000, now=0.0, burst=0)
    assert bucket.take(200_000, now=0.0) == pytest.approx(2.0)
    assert bucket.owed(now=1.0) == pytest.approx(1.0)
    bucket.set_rate(400_000, now=1.0)  # raised: the rest is paid four times faster
    assert bucket.owed(now=1.0) == pytest.approx(0.25)
    bucket.set_rate(0, now=1.0)  # lifted: nothing is owed
    assert bucket.owed(now=1.0) == 0.0


async def test_a_lifted_limit_ends_a_wait_at_once() -> None:
    """`idm limit ID 0` while a connection waits out a big chunk at the old rate: it goes on
    now, not after the seconds the old rate would have taken (16 s here)."""
    import asyncio
    import time

    from idmd.engine.limits import RateLimiter

    limiter = RateLimiter(TokenBucket(0, time.monotonic()), 64 * 1024)
    waiting = asyncio.create_task(limiter.consume(1024 * 1024))
    await asyncio.sleep(0)  # it waits now
    assert not waiting.done()
    limiter.set_rate(0)
    await asyncio.wait_for(waiting, timeout=5)
