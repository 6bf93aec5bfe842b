import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PER_TAB, addMedia, sanitizeReport } from '../lib/tabmedia.js';

test('media is listed once per URL, with a readable name', () => {
  let list = addMedia([], { url: 'http://h/v/clip.mp4', kind: 'video', source: 'page' });
  list = addMedia(list, { url: 'http://h/v/clip.mp4', kind: 'video', source: 'network' });
  list = addMedia(list, { url: 'http://h/a.m3u8', kind: 'hls', source: 'network' });
  assert.deepEqual(list.map((m) => [m.name, m.kind]), [['clip.mp4', 'video'], ['a.m3u8', 'hls']]);
});

test('a stream keeps its kind when the page reports the same URL as plain video', () => {
  let list = addMedia([], { url: 'http://h/a.m3u8', kind: 'hls' });
  list = addMedia(list, { url: 'http://h/a.m3u8', kind: 'video' });
  assert.equal(list[0].kind, 'hls');
});

test('the list per tab is bounded', () => {
  let list = [];
  for (let i = 0; i < MAX_PER_TAB + 10; i += 1) list = addMedia(list, { url: `http://h/${i}.mp4`, kind: 'video' });
  assert.equal(list.length, MAX_PER_TAB);
  assert.equal(list.at(-1).url, `http://h/${MAX_PER_TAB + 9}.mp4`);
});

test('page reports keep only http(s) URLs and known kinds', () => {
  const report = sanitizeReport([
    { url: 'http://h/a.mp4', kind: 'video' },
    { url: 'https://h/b.mp3', kind: 'audio' },
    { url: 'blob:http://h/1', kind: 'video' },
    { url: 'javascript:alert(1)', kind: 'video' },
    { url: 'http://h/c.mp4', kind: '<img onerror=x>' },
    null,
    'http://h/d.mp4',
  ]);
  assert.deepEqual(report.map((m) => [m.url, m.kind]), [
    ['http://h/a.mp4', 'video'],
    ['https://h/b.mp3', 'audio'],
    ['http://h/c.mp4', 'video'],
  ]);
  assert.deepEqual(sanitizeReport('nope'), []);
});
