import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_DAEMON_URL, DEFAULT_EXTENSIONS, normalizeSettings, parseExtensions, parseSites, validateDaemonUrl,
} from '../lib/settings.js';

test('empty storage gives the defaults: capture on for common types', () => {
  const s = normalizeSettings(undefined);
  assert.equal(s.daemonUrl, DEFAULT_DAEMON_URL);
  assert.equal(s.capture.enabled, true);
  assert.ok(s.capture.extensions.includes('zip'));
  assert.ok(s.capture.extensions.includes('mp4'));
  assert.equal(s.capture.minSize, 0);
  assert.deepEqual(s.excludedSites, []);
});

test('daemon addresses must be ws:// on loopback', () => {
  assert.equal(validateDaemonUrl(' ws://127.0.0.1:9000/rpc '), 'ws://127.0.0.1:9000/rpc');
  assert.equal(validateDaemonUrl('ws://localhost:9000'), 'ws://localhost:9000/rpc');
  assert.equal(validateDaemonUrl('ws://[::1]:9000/rpc'), 'ws://[::1]:9000/rpc');
  assert.throws(() => validateDaemonUrl('ws://192.168.1.5:8765/rpc'), /this machine/);
  assert.throws(() => validateDaemonUrl('http://127.0.0.1:8765/rpc'), /ws:\/\//);
  assert.throws(() => validateDaemonUrl('nonsense'), /not a URL/);
});

test('a bad stored address falls back to the default instead of breaking', () => {
  assert.equal(normalizeSettings({ daemonUrl: 'ws://evil.example/rpc' }).daemonUrl, DEFAULT_DAEMON_URL);
});

test('typed lists are cleaned', () => {
  assert.deepEqual(parseExtensions('.ZIP, mp4\n*.iso  zip ../etc'), ['zip', 'mp4', 'iso']);
  assert.deepEqual(parseSites('https://Example.com/path, *.cdn.org; b@d!, ex%ample.com'), ['example.com', 'cdn.org']);
});

test('stored values of the wrong type are replaced, valid ones kept', () => {
  const s = normalizeSettings({ capture: { enabled: 'yes', extensions: ['PDF'], minSize: -5 }, excludedSites: 'x' });
  assert.equal(s.capture.enabled, true);
  assert.deepEqual(s.capture.extensions, ['pdf']);
  assert.equal(s.capture.minSize, 0);
  assert.deepEqual(s.excludedSites, []);
  assert.equal(normalizeSettings({ capture: { enabled: false } }).capture.enabled, false);
  assert.deepEqual(normalizeSettings({}).capture.extensions, [...DEFAULT_EXTENSIONS]);
});
