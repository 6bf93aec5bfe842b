import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RpcError, encodeRequest, parseFrame } from '../lib/rpc.js';

test('requests are JSON-RPC 2.0 with params', () => {
  assert.deepEqual(JSON.parse(encodeRequest(3, 'jobs.add', { url: 'u' })), { jsonrpc: '2.0', id: 3, method: 'jobs.add', params: { url: 'u' } });
  assert.deepEqual(JSON.parse(encodeRequest(4, 'session.ping')).params, {});
});

test('responses, errors and events are told apart', () => {
  const [ok] = parseFrame('{"jsonrpc":"2.0","id":1,"result":{"code":"123456"}}');
  assert.deepEqual(ok, { kind: 'response', id: 1, result: { code: '123456' } });
  const [err] = parseFrame('{"jsonrpc":"2.0","id":2,"error":{"code":-32004,"message":"no such job","data":{"id":"x"}}}');
  assert.equal(err.kind, 'response');
  assert.ok(err.error instanceof RpcError);
  assert.equal(err.error.code, -32004);
  assert.deepEqual(err.error.data, { id: 'x' });
  const [ev] = parseFrame('{"jsonrpc":"2.0","method":"event","params":{"seq":7,"type":"job.progress","job":"a","at":1.5,"data":{"done":5}}}');
  assert.equal(ev.kind, 'event');
  assert.equal(ev.event.seq, 7);
});

test('a batch gives one message per element', () => {
  const msgs = parseFrame('[{"jsonrpc":"2.0","id":1,"result":1},{"jsonrpc":"2.0","id":2,"result":2}]');
  assert.deepEqual(msgs.map((m) => m.id), [1, 2]);
});

test('garbage is invalid, never a crash', () => {
  for (const text of ['', '{', 'null', '42', '{"id":1,"result":1}', '{"jsonrpc":"2.0"}', '{"jsonrpc":"2.0","method":"event","params":{"type":"x"}}']) {
    const [msg] = parseFrame(text);
    assert.equal(msg.kind, 'invalid', text);
  }
});
