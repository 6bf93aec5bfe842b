import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Connection, STATE } from '../lib/connection.js';
import { FakeTimers, fakeSocketClass, flush } from './fakes.mjs';

function setup(over = {}) {
  const timers = new FakeTimers();
  const { FakeSocket, sockets } = fakeSocketClass();
  const seen = { events: [], subscribed: [], tokens: [], states: [] };
  const conn = new Connection({
    url: 'ws://127.0.0.1:1/rpc',
    token: 'tok',
    client: { name: 'idm-chrome', version: '0.1.0' },
    WebSocket: FakeSocket,
    timers,
    random: () => 1,
    now: () => timers.now,
    onEvent: (e) => seen.events.push(e),
    onSubscribed: (s) => seen.subscribed.push(s),
    onToken: (t) => seen.tokens.push(t),
    onState: (c) => seen.states.push(c.state),
    ...over,
  });
  return { conn, timers, sockets, seen };
}

async function connect(conn, sockets, since = null) {
  conn.start();
  const ws = sockets.at(-1);
  ws.open();
  assert.equal(ws.last().method, 'session.hello');
  ws.reply({ server: { name: 'idmd', version: '0.1.0', protocol: 1 }, seq: 10 });
  await flush();
  assert.equal(ws.last().method, 'events.subscribe');
  assert.deepEqual(ws.last().params, { since });
  ws.reply({ seq: 10, reset: false, snapshot: { jobs: [] } });
  await flush();
  return ws;
}

test('hello with the token and the JSON subprotocol, then subscribe', async () => {
  const { conn, sockets, seen } = setup();
  const ws = await connect(conn, sockets);
  assert.equal(ws.protocol, 'idm.v1.json');
  assert.deepEqual(ws.sent[0].params, { token: 'tok', client: { name: 'idm-chrome', version: '0.1.0' } });
  assert.equal(conn.state, STATE.CONNECTED);
  assert.equal(seen.subscribed.length, 1);
  assert.equal(conn.since, 10);
});

test('without a token it waits for pairing instead of connecting', () => {
  const { conn, sockets } = setup({ token: '' });
  conn.start();
  assert.equal(conn.state, STATE.UNPAIRED);
  assert.equal(sockets.length, 0);
});

test('pairing shows the code, then the approved token authenticates the same socket', async () => {
  const { conn, sockets, seen } = setup({ token: '' });
  conn.pair();
  const ws = sockets.at(-1);
  ws.open();
  assert.equal(ws.last().method, 'session.pair');
  ws.reply({ code: '482913' });
  await flush();
  assert.equal(conn.state, STATE.PAIRING);
  assert.equal(conn.code, '482913');
  ws.event(11, 'pairing.approved', null, { token: 'secret' });
  await flush();
  assert.deepEqual(seen.tokens, ['secret']);
  assert.equal(ws.last().method, 'session.hello');
  assert.equal(ws.last().params.token, 'secret');
  assert.equal(sockets.length, 1);
  // The secret-carrying event is never handed on.
  assert.equal(seen.events.length, 0);
});

test('a pairing socket that dies is reopened and takes the same code over with its resume key', async () => {
  const { conn, sockets, timers } = setup({ token: '' });
  conn.pair();
  sockets[0].open();
  sockets[0].reply({ code: '111111', expires_at: 120, resume: 'key-1' });
  await flush();
  sockets[0].drop(1006);
  timers.advance(timers.pending()[0]);
  const ws = sockets[1];
  ws.open();
  assert.deepEqual(ws.last().params, { client: { name: 'idm-chrome', version: '0.1.0' }, resume: 'key-1' });
  ws.reply({ code: '111111', expires_at: 120, resume: 'key-1' });
  await flush();
  assert.equal(conn.state, STATE.PAIRING);
  assert.equal(conn.code, '111111');
});

test('a resume idmd no longer knows (restarted, expired) ends pairing with its reason', async () => {
  const { conn, sockets, timers, seen } = setup({ token: '' });
  const saved = [];
  conn.on.pairing = (p) => saved.push(p);
  conn.pair();
  sockets[0].open();
  sockets[0].reply({ code: '111111', expires_at: 120, resume: 'key-1' });
  await flush();
  assert.deepEqual(saved, [{ code: '111111', expiresAt: 120_000, resume: 'key-1' }]);
  sockets[0].drop(1006);
  timers.advance(timers.pending()[0]);
  sockets[1].open();
  sockets[1].fail(-32602, 'no pairing request to resume: it expired or was denied');
  await flush();
  assert.equal(conn.state, STATE.UNPAIRED);
  assert.match(conn.error, /no pairing request to resume/);
  assert.equal(saved.at(-1), null); // forgotten: a new worker will not try again
  timers.advance(120_000);
  assert.equal(sockets.length, 2);
  assert.ok(seen.states.length > 0);
});

test('a code past its expiry is not resumed: the socket closing ends pairing', async () => {
  const { conn, sockets, timers } = setup({ token: '' });
  conn.pair();
  sockets[0].open();
  sockets[0].reply({ code: '111111', expires_at: 120, resume: 'key-1' });
  await flush();
  timers.advance(120_000);
  sockets[0].drop(1006);
  assert.equal(conn.state, STATE.UNPAIRED);
  assert.match(conn.error, /before pairing was approved/);
  assert.equal(conn.resumePairing({ code: '111111', expiresAt: 120_000, resume: 'key-1' }), false);
});

test('a new worker resumes the saved pairing instead of asking for a new code', async () => {
  const { conn, sockets, timers } = setup({ token: '' });
  timers.advance(30_000);
  assert.equal(conn.resumePairing({ code: '333333', expiresAt: 120_000, resume: 'key-3' }), true);
  sockets[0].open();
  assert.equal(sockets[0].last().method, 'session.pair');
  assert.equal(sockets[0].last().params.resume, 'key-3');
});

test('while a code waits for approval a ping crosses the socket every 20 s', async () => {
  const { conn, sockets, timers } = setup({ token: '' });
  conn.pair();
  const ws = sockets[0];
  ws.open();
  ws.reply({ code: '444444', expires_at: 120, resume: 'k' });
  await flush();
  for (let i = 0; i < 5; i += 1) {
    timers.advance(20_000);
    assert.equal(ws.last().method, 'session.ping');
    ws.reply('pong');
    await flush();
  }
  assert.equal(ws.sent.filter((m) => m.method === 'session.ping').length, 5);
  // Approved: one ping timer, not two.
  ws.event(1, 'pairing.approved', null, { token: 'secret-token-123456' });
  await flush();
  ws.reply({ server: {}, seq: 1 }, ws.sent.findIndex((m) => m.method === 'session.hello'));
  await flush();
  const before = ws.sent.length;
  timers.advance(20_000);
  assert.equal(ws.sent.slice(before).filter((m) => m.method === 'session.ping').length, 1);
});

test('a denied pairing says so', async () => {
  const { conn, sockets } = setup({ token: '' });
  conn.pair();
  sockets[0].open();
  sockets[0].reply({ code: '555555', expires_at: 120, resume: 'k' });
  await flush();
  sockets[0].drop(4401, 'pairing denied');
  assert.equal(conn.state, STATE.UNPAIRED);
  assert.match(conn.error, /denied/);
});

test('retries asked for while idmd is away do not push the automatic ones further out', async () => {
  const { conn, sockets, timers } = setup();
  conn.start();
  sockets.at(-1).drop(1006); // attempt 0 failed: next automatic retry in 500 ms
  timers.advance(500);
  sockets.at(-1).drop(1006); // attempt 1 failed: next in 1000 ms
  assert.equal(conn.attempt, 2);
  const due = conn.retryAt;
  for (let i = 0; i < 5; i += 1) {
    timers.advance(150);
    conn.ensure(); // the popup opened, a tab was switched to...
    sockets.at(-1).drop(1006);
  }
  // At most one asked-for attempt a second, and none of them moved the schedule.
  assert.equal(sockets.length, 3);
  assert.equal(conn.attempt, 2);
  assert.equal(conn.retryAt, due);
  assert.deepEqual(timers.pending(), [due - timers.now]);
});

test('while the worker runs, an attempt is never more than 5 s away', () => {
  const { conn, sockets, timers } = setup();
  conn.start();
  const delays = [];
  for (let i = 0; i < 12; i += 1) {
    sockets.at(-1).drop(1006);
    delays.push(timers.pending()[0]);
    timers.advance(timers.pending()[0]);
  }
  assert.ok(Math.max(...delays) <= 5_000, String(delays));
  assert.equal(delays.at(-1), 5_000);
});

test('events advance the seq used to resume after a reconnect', async () => {
  const { conn, sockets, seen, timers } = setup();
  const ws = await connect(conn, sockets);
  ws.event(11, 'job.progress', 'j1', { done: 1 });
  ws.event(12, 'job.status', 'j1', { status: 'completed' });
  assert.equal(seen.events.length, 2);
  assert.equal(conn.since, 12);
  ws.drop(1006);
  assert.equal(conn.state, STATE.OFFLINE);
  timers.advance(500);
  assert.equal(sockets.length, 2);
  sockets[1].open();
  sockets[1].reply({ server: {}, seq: 20 });
  await flush();
  assert.deepEqual(sockets[1].last().params, { since: 12 });
});

test('reconnection backs off exponentially while the daemon is away, then resets', async () => {
  const { conn, sockets, timers } = setup();
  conn.start();
  const delays = [];
  for (let i = 0; i < 4; i += 1) {
    sockets.at(-1).drop(1006);
    delays.push(timers.pending()[0]);
    timers.advance(timers.pending()[0]);
  }
  assert.deepEqual(delays, [500, 1000, 2000, 4000]);
  const ws = sockets.at(-1);
  ws.open();
  ws.reply({ server: {}, seq: 1 });
  await flush();
  assert.equal(conn.attempt, 0);
});

test('a JSON ping crosses the socket every 20 s while connected, and stops after close', async () => {
  const { conn, sockets, timers } = setup();
  const ws = await connect(conn, sockets);
  const before = ws.sent.length;
  timers.advance(20_000);
  assert.equal(ws.sent.length, before + 1);
  assert.equal(ws.last().method, 'session.ping');
  timers.advance(40_000);
  assert.equal(ws.sent.filter((m) => m.method === 'session.ping').length, 3);
  conn.stop();
  timers.advance(60_000);
  assert.equal(ws.sent.filter((m) => m.method === 'session.ping').length, 3);
  assert.equal(conn.state, STATE.IDLE);
});

test('a refused token stops retrying until the settings change', async () => {
  const { conn, sockets, timers } = setup();
  conn.start();
  sockets[0].open();
  sockets[0].fail(-32001, 'unauthorized');
  await flush();
  assert.equal(conn.state, STATE.UNAUTHORIZED);
  timers.advance(120_000);
  assert.equal(sockets.length, 1);
  conn.configure({ token: 'new' });
  assert.equal(sockets.length, 2);
  sockets[1].open();
  assert.equal(sockets[1].last().params.token, 'new');
});

test('close code 4401 means the token is bad', () => {
  const { conn, sockets } = setup();
  conn.start();
  sockets[0].open();
  sockets[0].drop(4401, 'unauthorized');
  assert.equal(conn.state, STATE.UNAUTHORIZED);
});

test('calls resolve with results, reject with RPC errors and when the socket dies', async () => {
  const { conn, sockets } = setup();
  const ws = await connect(conn, sockets);
  const added = conn.call('jobs.add', { url: 'http://h/a.zip', options: {} });
  assert.equal(ws.last().method, 'jobs.add');
  ws.reply({ id: 'j1', status: 'queued' });
  assert.deepEqual(await added, { id: 'j1', status: 'queued' });
  const bad = conn.call('jobs.pause', { ids: ['nope'] });
  ws.fail(-32004, 'no such job');
  await assert.rejects(bad, (e) => e.code === -32004);
  const lost = conn.call('jobs.probe', { url: 'http://h/' });
  ws.drop(1006);
  await assert.rejects(lost, /closed/);
  await assert.rejects(conn.call('jobs.list', {}), /not connected/);
});

test('a call with no answer times out instead of hanging', async () => {
  const { conn, sockets, timers } = setup({ requestTimeout: 5000 });
  await connect(conn, sockets);
  const call = conn.call('jobs.get', { id: 'x' });
  timers.advance(5000);
  await assert.rejects(call, /no answer/);
});

test('changing the address reconnects there', async () => {
  const { conn, sockets } = setup();
  await connect(conn, sockets);
  conn.configure({ url: 'ws://127.0.0.1:2/rpc' });
  assert.equal(sockets[0].closed, true);
  assert.equal(sockets.at(-1).url, 'ws://127.0.0.1:2/rpc');
  conn.configure({ url: 'ws://127.0.0.1:2/rpc' });
  assert.equal(sockets.length, 2);
});

test('frames from a socket that was replaced are ignored', async () => {
  const { conn, sockets, seen } = setup();
  const old = await connect(conn, sockets);
  conn.configure({ url: 'ws://127.0.0.1:3/rpc' });
  old.event(99, 'job.added', 'ghost', {});
  old.drop(1006);
  assert.equal(seen.events.length, 0);
  assert.equal(conn.state, STATE.CONNECTING);
});

test('a pairing the daemon gives up on (4401) asks the user to try again, without looping', async () => {
  const { conn, sockets, timers } = setup({ token: '' });
  conn.pair();
  sockets[0].open();
  sockets[0].reply({ code: '222222' });
  await flush();
  sockets[0].drop(4401, 'no session.hello within 10 s');
  assert.equal(conn.state, STATE.UNPAIRED);
  assert.match(conn.error, /try again/);
  timers.advance(120_000);
  assert.equal(sockets.length, 1);
});

test('a pairing request the daemon refuses is reported, not retried', async () => {
  const { conn, sockets, timers } = setup({ token: '' });
  conn.pair();
  sockets[0].open();
  sockets[0].fail(-32011, 'too many pairing requests');
  await flush();
  assert.equal(conn.state, STATE.UNPAIRED);
  assert.match(conn.error, /too many pairing requests/);
  timers.advance(120_000);
  assert.equal(sockets.length, 1);
});
