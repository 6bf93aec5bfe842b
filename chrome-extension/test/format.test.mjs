import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatEta, formatSpeed, jobSummary, progressFraction } from '../lib/format.js';

test('sizes, speeds and times read like a person wrote them', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(200 * 2 ** 20), '200 MiB');
  assert.equal(formatBytes(null), '?');
  assert.equal(formatSpeed(2 * 2 ** 20), '2.0 MiB/s');
  assert.equal(formatSpeed(0), '');
  assert.equal(formatEta(65), '1:05');
  assert.equal(formatEta(3725), '1:02:05');
  assert.equal(formatEta(null), '');
});

test('progress is a fraction, unknown while the size is', () => {
  assert.equal(progressFraction({ done: 50, size: 200 }), 0.25);
  assert.equal(progressFraction({ done: 50, size: null }), null);
  assert.equal(progressFraction({ status: 'completed', done: 0, size: null }), 1);
  assert.equal(progressFraction({ done: 300, size: 200 }), 1);
});

test('a job line shows bytes, and speed and ETA only while downloading', () => {
  assert.equal(jobSummary({ status: 'downloading', done: 1024, size: 4096, speed: 1024, eta: 3 }), '1.0 KiB / 4.0 KiB · 1.0 KiB/s · 0:03');
  assert.equal(jobSummary({ status: 'paused', done: 1024, size: 4096, speed: 1024, eta: 3 }), '1.0 KiB / 4.0 KiB');
  assert.equal(jobSummary({ status: 'failed', done: 0, size: null, error: { code: 1, message: 'HTTP 404' } }), '0 B · HTTP 404');
  assert.equal(jobSummary({ status: 'completed', done: 2048, size: 2048, category: 'Compressed' }), '2.0 KiB / 2.0 KiB · Compressed');
});
