import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authorize, jobIds } from '../lib/messages.js';

const ID = 'obfggeidlkfpllaebcgegapjljaecboo';
const popup = { id: ID, url: `chrome-extension://${ID}/popup.html` };
const content = { id: ID, url: 'http://127.0.0.1:8000/page.html', tab: { id: 3 } };

test('extension pages may use every verb', () => {
  for (const type of ['state.get', 'media.download', 'job.cancel', 'pair.start', 'settings.save', 'token.set']) {
    assert.equal(authorize({ type }, popup, ID), type);
  }
});

test('content scripts may only report media', () => {
  assert.equal(authorize({ type: 'media.found', items: [] }, content, ID), 'media.found');
  for (const type of ['settings.get', 'token.set', 'media.download', 'job.cancel', 'state.get']) {
    assert.throws(() => authorize({ type }, content, ID), /not allowed from a web page/);
  }
});

test('other extensions and malformed messages are refused', () => {
  assert.throws(() => authorize({ type: 'state.get' }, { ...popup, id: 'other' }, ID), /another extension/);
  assert.throws(() => authorize({ type: 'state.get' }, { id: ID, url: `chrome-extension://${ID}x/popup.html` }, ID));
  assert.throws(() => authorize(null, popup, ID), /type/);
  assert.throws(() => authorize({ type: 'rm -rf' }, popup, ID), /not allowed/);
});

test('job ids are checked', () => {
  assert.deepEqual(jobIds({ id: 'abc' }), ['abc']);
  assert.throws(() => jobIds({ id: 5 }));
  assert.throws(() => jobIds({}));
});
