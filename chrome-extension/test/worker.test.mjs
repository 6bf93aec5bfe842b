// The worker's event handling with fake chrome.* APIs and a fake daemon socket:
// capture hands over or falls back, messages are checked by sender.
import assert from 'node:assert/strict';
import { before, beforeEach, test } from 'node:test';
import { fakeChrome } from './fakechrome.mjs';
import { fakeSocketClass, flush } from './fakes.mjs';

const ID = 'testextensionid';
const popup = { id: ID, url: `chrome-extension://${ID}/popup.html` };
const contentScript = { id: ID, url: 'http://site/page.html', tab: { id: 7 } };
let Worker;
let chrome;
let sockets;

before(async () => {
  chrome = fakeChrome(ID);
  globalThis.chrome = chrome;
  if (!globalThis.navigator?.userAgent) {
    Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'TestBrowser/1.0' }, configurable: true });
  }
  ({ Worker } = await import('../worker.js'));
});

beforeEach(() => {
  const fake = fakeSocketClass();
  sockets = fake.sockets;
  globalThis.WebSocket = fake.FakeSocket;
  chrome.calls.length = 0;
  chrome.storage.local.data.clear();
  chrome.storage.session.data.clear();
});

async function connectedWorker() {
  await chrome.storage.local.set({ token: 't'.repeat(32) });
  const worker = new Worker();
  await worker.init();
  const ws = sockets.at(-1);
  ws.open();
  ws.reply({ server: {}, seq: 1 });
  await flush();
  ws.reply({ seq: 1, reset: true, snapshot: { jobs: [] } });
  await flush();
  assert.equal(worker.connection.state, 'connected');
  return { worker, ws };
}

const zipDownload = { id: 42, url: 'http://site/files/a.zip', finalUrl: 'http://site/files/a.zip', filename: '/home/u/Downloads/a.zip', mime: 'application/zip', totalBytes: 1000, referrer: 'http://site/page.html' };

test('a matching download goes to idmd with cookies, referer and user agent, then the browser drops it', async () => {
  const { worker, ws } = await connectedWorker();
  const taken = worker.onDownload(zipDownload);
  await flush();
  const add = ws.last();
  assert.equal(add.method, 'jobs.add');
  assert.equal(add.params.url, 'http://site/files/a.zip');
  assert.deepEqual(add.params.options, { filename: 'a.zip', referer: 'http://site/page.html', cookies: 'sid=abc', user_agent: navigator.userAgent });
  // Held, not cancelled before idmd answered.
  assert.deepEqual(chrome.calls, [['pause', 42]]);
  ws.reply({ id: 'j1', status: 'queued' });
  assert.equal(await taken, true);
  assert.deepEqual(chrome.calls, [['pause', 42], ['cancel', 42], ['erase', 42]]);
  worker.connection.stop();
});

test('when idmd refuses, the browser keeps the download', async () => {
  const { worker, ws } = await connectedWorker();
  const taken = worker.onDownload(zipDownload);
  await flush();
  ws.fail(-32010, 'URL not supported');
  assert.equal(await taken, false);
  assert.deepEqual(chrome.calls, [['pause', 42], ['resume', 42]]);
  worker.connection.stop();
});

test('when idmd is not running, the browser keeps the download', async () => {
  const { worker, ws } = await connectedWorker();
  ws.drop(1006);
  assert.equal(worker.connection.state, 'offline');
  const taken = worker.onDownload(zipDownload);
  // The worker tries once more at once; the daemon is still away.
  sockets.at(-1).drop(1006);
  assert.equal(await taken, false);
  assert.deepEqual(chrome.calls, [['pause', 42], ['resume', 42]]);
  worker.connection.stop();
});

test('a new download that may be captured is paused at once; others are left alone', async () => {
  const { worker } = await connectedWorker();
  await worker.onDownloadCreated({ id: 5, url: 'http://site/x.bin', filename: '', state: 'in_progress' });
  await worker.onDownloadCreated({ id: 6, url: 'data:text/plain,hi', filename: '', state: 'in_progress' });
  await worker.onDownloadCreated({ id: 7, url: 'http://site/y.zip', state: 'complete' });
  assert.deepEqual(chrome.calls, [['pause', 5]]);
  // Once named and not matching a rule, it carries on in the browser.
  assert.equal(await worker.onDownload({ id: 5, url: 'http://site/x.bin', filename: '/d/x.bin', totalBytes: 10 }), false);
  assert.deepEqual(chrome.calls, [['pause', 5], ['resume', 5]]);
  worker.connection.stop();
});

test('a pause Chrome ignores (the download not started yet) is asked again until it holds', async () => {
  const { worker } = await connectedWorker();
  chrome.downloads.pausesIgnored = 2;
  try {
    await worker.onDownloadCreated({ id: 8, url: 'http://site/z.bin', filename: '', state: 'in_progress' });
    assert.deepEqual(chrome.calls, [['pause', 8], ['pause', 8], ['pause', 8]]);
    assert.ok(chrome.downloads.paused.has(8));
  } finally {
    worker.connection.stop();
  }
});

test('downloads no rule matches are not even offered to idmd', async () => {
  const { worker, ws } = await connectedWorker();
  const sent = ws.sent.length;
  assert.equal(await worker.onDownload({ ...zipDownload, url: 'http://site/doc.pdf', finalUrl: '', filename: 'doc.pdf' }), false);
  assert.equal(ws.sent.length, sent);
  worker.connection.stop();
});

test('content scripts report media for their tab and may do nothing else', async () => {
  const { worker } = await connectedWorker();
  await worker.onMessage({ type: 'media.found', items: [{ url: 'http://site/v.mp4', kind: 'video' }, { url: 'blob:x', kind: 'video' }] }, contentScript);
  assert.deepEqual(worker.popupState(7).media.map((m) => m.url), ['http://site/v.mp4']);
  await assert.rejects(worker.onMessage({ type: 'token.set', token: 'x'.repeat(32) }, contentScript), /not allowed/);
  await assert.rejects(worker.onMessage({ type: 'settings.get' }, contentScript), /not allowed/);
  assert.equal((await chrome.storage.local.get('token')).token, 't'.repeat(32));
  worker.connection.stop();
});

test('media answers from webRequest are classified, and a new page clears the tab', async () => {
  const { worker } = await connectedWorker();
  worker.onResponse({ tabId: 3, url: 'http://site/live/master.m3u8', responseHeaders: [{ name: 'Content-Type', value: 'application/vnd.apple.mpegurl' }] });
  worker.onResponse({ tabId: 3, url: 'http://site/style.css', responseHeaders: [{ name: 'content-type', value: 'text/css' }] });
  assert.deepEqual(worker.popupState(3).media.map((m) => m.kind), ['hls']);
  worker.clearTab(3);
  assert.deepEqual(worker.popupState(3).media, []);
  worker.connection.stop();
});

test('settings and tokens are validated before they are stored', async () => {
  const { worker } = await connectedWorker();
  await assert.rejects(worker.onMessage({ type: 'settings.save', settings: { daemonUrl: 'ws://10.0.0.1:8765/rpc' } }, popup), /this machine/);
  const saved = await worker.onMessage({ type: 'settings.save', settings: { daemonUrl: 'ws://127.0.0.1:9/rpc', capture: { extensions: '.iso' } } }, popup);
  assert.equal(saved.daemonUrl, 'ws://127.0.0.1:9/rpc');
  assert.equal((await chrome.storage.local.get('settings')).settings.daemonUrl, 'ws://127.0.0.1:9/rpc');
  await assert.rejects(worker.onMessage({ type: 'token.set', token: 'not a token!' }, popup), /does not look like/);
  await worker.onMessage({ type: 'token.set', token: '' }, popup);
  assert.equal((await chrome.storage.local.get('token')).token, undefined);
  worker.connection.stop();
});

test('popup actions become RPC calls on the job', async () => {
  const { worker, ws } = await connectedWorker();
  const paused = worker.onMessage({ type: 'job.pause', id: 'j1' }, popup);
  await flush();
  assert.deepEqual([ws.last().method, ws.last().params], ['jobs.pause', { ids: ['j1'] }]);
  ws.reply([{ id: 'j1', status: 'paused' }]);
  assert.deepEqual(await paused, [{ id: 'j1', status: 'paused' }]);
  await assert.rejects(worker.onMessage({ type: 'job.cancel' }, popup), /job id/);
  worker.connection.stop();
});

test('after a restart the worker shows what it knew and resumes from the saved seq', async () => {
  await chrome.storage.local.set({ token: 't'.repeat(32) });
  await chrome.storage.session.set({ since: 41, jobs: { jobs: [{ id: 'j9', status: 'downloading', created_at: 'x' }] } });
  const worker = new Worker();
  await worker.init();
  assert.deepEqual(worker.popupState(-1).jobs.map((j) => j.id), ['j9']);
  const ws = sockets.at(-1);
  ws.open();
  ws.reply({ server: {}, seq: 50 });
  await flush();
  assert.deepEqual(ws.last().params, { since: 41 });
  worker.connection.stop();
});

test('a pairing code outlives the worker: a new worker takes the same code over', async () => {
  const first = new Worker();
  await first.init();
  await first.onMessage({ type: 'pair.start' }, popup);
  sockets.at(-1).open();
  sockets.at(-1).reply({ code: '123456', expires_at: Date.now() / 1000 + 120, resume: 'resume-key' });
  await flush();
  await flush();
  assert.equal((await chrome.storage.session.get('pairing')).pairing.resume, 'resume-key');
  first.connection.stop(); // the browser stopped the worker

  const second = new Worker();
  await second.init();
  const ws = sockets.at(-1);
  ws.open();
  assert.equal(ws.last().method, 'session.pair');
  assert.equal(ws.last().params.resume, 'resume-key');
  ws.reply({ code: '123456', expires_at: Date.now() / 1000 + 100, resume: 'resume-key' });
  await flush();
  assert.equal(second.popupState(-1).connection.code, '123456');
  ws.event(3, 'pairing.approved', null, { token: 'p'.repeat(64) });
  await flush();
  assert.equal(ws.last().method, 'session.hello');
  ws.reply({ server: {}, seq: 3 });
  await flush();
  await flush();
  assert.equal((await chrome.storage.session.get('pairing')).pairing, undefined);
  second.connection.stop();
});
