import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PopupFeed } from '../lib/popupfeed.js';
import { FakeTimers } from './fakes.mjs';

const ID = 'ext';
function port(url = `chrome-extension://${ID}/popup.html`, name = 'popup') {
  return { name, sender: { url }, posted: [], disconnected: false, postMessage(m) { this.posted.push(m); }, disconnect() { this.disconnected = true; } };
}

test('a popup watching a tab gets its state at once, then bursts coalesced', () => {
  const timers = new FakeTimers();
  let version = 0;
  const feed = new PopupFeed((tabId) => ({ tabId, version }), ID, timers);
  const p = port();
  assert.equal(feed.opened(p), true);
  feed.message(p, { type: 'watch', tabId: 4 });
  assert.deepEqual(p.posted, [{ type: 'state', state: { tabId: 4, version: 0 } }]);
  for (version = 1; version <= 50; version += 1) feed.changed();
  timers.advance(200);
  assert.equal(p.posted.length, 2);
  assert.equal(p.posted[1].state.tabId, 4);
});

test('web pages and other port names cannot watch', () => {
  const feed = new PopupFeed(() => ({ secret: true }), ID, new FakeTimers());
  const page = port('http://evil.example/');
  assert.equal(feed.opened(page), false);
  assert.equal(page.disconnected, true);
  feed.message(page, { type: 'watch', tabId: 1 });
  assert.deepEqual(page.posted, []);
  assert.equal(feed.opened(port(undefined, 'other')), false);
});

test('a closed popup is forgotten, even if it vanished without saying so', () => {
  const timers = new FakeTimers();
  const feed = new PopupFeed(() => ({}), ID, timers);
  const gone = port();
  gone.postMessage = () => { throw new Error('disconnected'); };
  const closed = port();
  feed.opened(gone);
  feed.opened(closed);
  feed.closed(closed);
  feed.changed();
  timers.advance(200);
  assert.equal(feed.ports.size, 0);
});
