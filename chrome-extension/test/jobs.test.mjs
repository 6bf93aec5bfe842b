import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobTable } from '../lib/jobs.js';

const job = (id, over = {}) => ({ id, url: `http://h/${id}`, status: 'downloading', done: 0, size: 100, created_at: `2026-01-01T00:00:0${id.slice(-1)}Z`, ...over });
const ev = (seq, type, jobId, data) => ({ seq, type, job: jobId, at: 0, data });

test('the snapshot fills the table and events keep it current', () => {
  const t = new JobTable();
  t.applySubscribe({ seq: 5, reset: false, snapshot: { jobs: [job('j1')] } });
  assert.equal(t.applyEvent(ev(6, 'job.progress', 'j1', { done: 40, speed: 10, eta: 6 })), true);
  assert.equal(t.get('j1').done, 40);
  t.applyEvent(ev(7, 'job.status', 'j1', { status: 'completed', error: null }));
  assert.equal(t.get('j1').status, 'completed');
  t.applyEvent(ev(8, 'job.added', 'j2', job('j2', { status: 'queued' })));
  assert.deepEqual(t.latest().map((j) => j.id), ['j2', 'j1']);
  t.applyEvent(ev(9, 'job.removed', 'j1', {}));
  assert.equal(t.get('j1'), undefined);
});

test('replayed events older than the snapshot do not roll progress back', () => {
  const t = new JobTable();
  t.applySubscribe({ seq: 50, reset: false, snapshot: { jobs: [job('j1', { done: 90 })] } });
  assert.equal(t.applyEvent(ev(40, 'job.progress', 'j1', { done: 10 })), false);
  assert.equal(t.get('j1').done, 90);
  assert.equal(t.applyEvent(ev(51, 'job.progress', 'j1', { done: 95 })), true);
  assert.equal(t.get('j1').done, 95);
});

test('a resubscribe keeps finished jobs unless the daemon says reset', () => {
  const t = new JobTable([job('j1', { status: 'completed' })]);
  t.applySubscribe({ seq: 3, reset: false, snapshot: [job('j2')] });
  assert.deepEqual(t.latest().map((j) => j.id).sort(), ['j1', 'j2']);
  t.applySubscribe({ seq: 9000, reset: true, snapshot: { jobs: [job('j3')] } });
  assert.deepEqual(t.latest().map((j) => j.id), ['j3']);
});

test('progress for a job not yet known is ignored, and stats are kept', () => {
  const t = new JobTable();
  assert.equal(t.applyEvent(ev(1, 'job.progress', 'ghost', { done: 1 })), false);
  assert.equal(t.latest().length, 0);
  t.applyEvent(ev(2, 'stats', null, { active: 1, speed: 5 }));
  assert.deepEqual(t.stats, { active: 1, speed: 5 });
  assert.equal(t.applyEvent(null), false);
  assert.equal(t.applyEvent({ type: 'job.added' }), false);
});

test('the table survives a round trip through storage', () => {
  const t = new JobTable();
  t.applySubscribe({ seq: 1, snapshot: { jobs: [job('j1'), job('j2', { status: 'paused' })] } });
  const copy = new JobTable(JSON.parse(JSON.stringify(t)).jobs);
  assert.deepEqual(copy.latest(), t.latest());
  assert.equal(copy.activeCount(), 1);
});

test('the table stays bounded, dropping the oldest finished jobs', () => {
  const t = new JobTable();
  for (let i = 0; i < 250; i += 1) {
    const id = `j${String(i).padStart(3, '0')}`;
    t.applyEvent(ev(i + 1, 'job.added', id, { id, status: 'completed', created_at: `2026-01-01T00:${id}` }));
  }
  assert.equal(t.jobs.size, 200);
  assert.equal(t.get('j000'), undefined);
  assert.ok(t.get('j249'));
});
