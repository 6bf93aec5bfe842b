import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyMedia, displayName, extensionOf, isHttpUrl, siteMatches } from '../lib/classify.js';

test('only http and https URLs are downloadable', () => {
  assert.ok(isHttpUrl('http://127.0.0.1:8000/a.mp4'));
  assert.ok(isHttpUrl('https://example.com/'));
  for (const bad of ['blob:https://x/1', 'data:text/plain,hi', 'file:///etc/passwd', 'javascript:alert(1)', 'relative/a.mp4', '', null, 'http://' + 'a'.repeat(5000)]) {
    assert.equal(isHttpUrl(bad), false, String(bad).slice(0, 40));
  }
});

test('extensions come from names, paths or URL paths, never the query', () => {
  assert.equal(extensionOf('Movie.MP4'), 'mp4');
  assert.equal(extensionOf('/home/u/Downloads/a.tar.gz'), 'gz');
  assert.equal(extensionOf('C:\\Users\\u\\file.zip'), 'zip');
  assert.equal(extensionOf('https://x.org/get?file=a.zip'), '');
  assert.equal(extensionOf('https://x.org/dir.v2/readme'), '');
  assert.equal(extensionOf('.bashrc'), '');
  assert.equal(extensionOf(''), '');
});

test('HLS and DASH are recognised by type or extension', () => {
  assert.equal(classifyMedia('http://h/master.m3u8', 'text/plain'), 'hls');
  assert.equal(classifyMedia('http://h/live', 'application/vnd.apple.mpegURL'), 'hls');
  assert.equal(classifyMedia('http://h/live', 'application/x-mpegurl; charset=utf-8'), 'hls');
  assert.equal(classifyMedia('http://h/manifest.mpd', ''), 'dash');
  assert.equal(classifyMedia('http://h/m', 'application/dash+xml'), 'dash');
});

test('plain audio and video are media, stream segments and pages are not', () => {
  assert.equal(classifyMedia('http://h/v.mp4', 'video/mp4'), 'video');
  assert.equal(classifyMedia('http://h/s', 'audio/mpeg'), 'audio');
  assert.equal(classifyMedia('http://h/v.webm', 'application/octet-stream'), 'video');
  assert.equal(classifyMedia('http://h/seg1.ts', 'video/mp2t'), null);
  assert.equal(classifyMedia('http://h/chunk-1.m4s', 'video/mp4'), null);
  assert.equal(classifyMedia('http://h/index.html', 'text/html'), null);
  assert.equal(classifyMedia('http://h/a.png', 'image/png'), null);
  assert.equal(classifyMedia('blob:http://h/1', 'video/mp4'), null);
});

test('site matching covers subdomains but not look-alikes', () => {
  const sites = ['example.com', '*.videos.org'];
  assert.ok(siteMatches('https://example.com/a', sites));
  assert.ok(siteMatches('https://cdn.example.com/a', sites));
  assert.ok(siteMatches('https://videos.org/a', sites));
  assert.equal(siteMatches('https://notexample.com/a', sites), false);
  assert.equal(siteMatches('https://example.com.evil.net/a', sites), false);
  assert.equal(siteMatches('not a url', sites), false);
});

test('display names are the decoded last path segment', () => {
  assert.equal(displayName('http://h/dir/My%20Video.mp4?x=1'), 'My Video.mp4');
  assert.equal(displayName('http://h/'), 'h');
});
