import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseName, captureDecision, cookieHeader, jobOptions, stoppedJobFor } from '../lib/capture.js';
import { normalizeSettings } from '../lib/settings.js';

const settings = normalizeSettings({});
const item = (over) => ({ url: 'http://127.0.0.1:9/file.zip', filename: '', mime: 'application/zip', totalBytes: 1000, ...over });

test('common types are captured by default', () => {
  assert.deepEqual(captureDecision(item({}), settings), { capture: true, reason: 'type .zip' });
  assert.equal(captureDecision(item({ url: 'http://h/get?id=1', filename: '/tmp/Movie.MKV' }), settings).capture, true);
});

test('other types stay in the browser unless a size rule says otherwise', () => {
  const pdf = item({ url: 'http://h/doc.pdf', mime: 'application/pdf', totalBytes: 50 * 2 ** 20 });
  assert.equal(captureDecision(pdf, settings).capture, false);
  const bySize = normalizeSettings({ capture: { minSize: 10 * 2 ** 20 } });
  assert.deepEqual(captureDecision(pdf, bySize), { capture: true, reason: 'size' });
  assert.equal(captureDecision({ ...pdf, totalBytes: -1 }, bySize).capture, false);
});

test('the switch, sites left alone and our own downloads win over the rules', () => {
  const off = normalizeSettings({ capture: { enabled: false } });
  assert.equal(captureDecision(item({}), off).capture, false);
  const alone = normalizeSettings({ excludedSites: ['127.0.0.1'] });
  assert.deepEqual(captureDecision(item({}), alone), { capture: false, reason: 'site left alone' });
  const fromPage = normalizeSettings({ excludedSites: ['bank.com'] });
  assert.equal(captureDecision(item({ referrer: 'https://www.bank.com/statements' }), fromPage).capture, false);
  const own = item({ byExtensionId: 'abc' });
  assert.equal(captureDecision(own, settings, { extensionId: 'abc' }).capture, false);
  assert.equal(captureDecision(own, settings, { extensionId: 'xyz' }).capture, true);
});

test('blob, data and file downloads are never handed over', () => {
  for (const url of ['blob:http://h/1', 'data:application/zip;base64,AA==', 'file:///a.zip']) {
    assert.equal(captureDecision(item({ url, filename: 'a.zip' }), settings).capture, false, url);
  }
});

test('the final URL after redirects is what counts', () => {
  const redirected = item({ url: 'http://h/download?id=3', finalUrl: 'https://cdn.h/a.iso' });
  assert.equal(captureDecision(redirected, settings).capture, true);
});

test('job options carry the name, referer, cookies and user agent', () => {
  assert.equal(cookieHeader([{ name: 'a', value: '1' }, { name: 'sid', value: 'x y' }, { bogus: 1 }]), 'a=1; sid=x y');
  assert.equal(cookieHeader(undefined), '');
  assert.equal(baseName('C:\\dl\\a.zip'), 'a.zip');
  assert.deepEqual(
    jobOptions({ filename: '/home/u/Downloads/a.zip', referrer: 'http://h/page', cookies: 'a=1', userAgent: 'UA' }),
    { filename: 'a.zip', referer: 'http://h/page', cookies: 'a=1', user_agent: 'UA' },
  );
  assert.deepEqual(jobOptions({ filename: '', referrer: 'chrome://newtab', cookies: '', userAgent: '' }), {});
});

test('a download with the name and size of a failed or paused job is its new link', () => {
  const jobs = [
    { id: 'a', status: 'completed', kind: 'http', filename: 'big.iso', size: 5000 },
    { id: 'b', status: 'failed', kind: 'media', filename: 'big.iso', size: 5000 },
    { id: 'c', status: 'failed', kind: 'http', filename: 'big.iso', size: 4000 },
    { id: 'd', status: 'paused', kind: 'http', filename: 'big.iso', size: 5000 },
  ];
  const clicked = { filename: '/home/u/Downloads/big.iso', totalBytes: 5000 };
  assert.equal(stoppedJobFor(jobs, clicked)?.id, 'd');
  assert.equal(stoppedJobFor(jobs, { ...clicked, totalBytes: 4000 })?.id, 'c');
  assert.equal(stoppedJobFor(jobs, { ...clicked, totalBytes: 4001 }), null);
  assert.equal(stoppedJobFor(jobs, { ...clicked, totalBytes: -1 }), null); // size unknown: a new job
  assert.equal(stoppedJobFor(jobs, { ...clicked, filename: 'other.iso' }), null);
  assert.equal(stoppedJobFor(jobs.slice(0, 2), clicked), null);
});
