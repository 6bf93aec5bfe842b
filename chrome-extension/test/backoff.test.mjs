import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from '../lib/backoff.js';

test('delays grow exponentially and stay within [ceiling/2, ceiling]', () => {
  const low = (a) => backoffDelay(a, { base: 500, max: 30_000, random: () => 0 });
  const high = (a) => backoffDelay(a, { base: 500, max: 30_000, random: () => 1 });
  assert.deepEqual([0, 1, 2, 3].map(low), [250, 500, 1000, 2000]);
  assert.deepEqual([0, 1, 2, 3].map(high), [500, 1000, 2000, 4000]);
});

test('delays are capped at max, even for absurd attempt numbers', () => {
  for (const attempt of [10, 100, 1e9, Infinity]) {
    const d = backoffDelay(attempt, { max: 30_000, random: () => 1 });
    assert.equal(d, 30_000);
  }
});

test('bad attempts count as the first one', () => {
  assert.equal(backoffDelay(-3, { random: () => 1 }), 500);
  assert.equal(backoffDelay(NaN, { random: () => 1 }), 500);
});
