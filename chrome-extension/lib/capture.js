// Whether a browser download is handed to idmd: the capture rules (types,
// sizes, sites left alone) applied to a chrome.downloads item. Pure.

import { extensionOf, isHttpUrl, siteMatches } from './classify.js';

/**
 * @param {{url?: string, finalUrl?: string, filename?: string, mime?: string,
 *          totalBytes?: number, referrer?: string, byExtensionId?: string}} item
 * @param {{capture: {enabled: boolean, extensions: string[], minSize: number},
 *          excludedSites: string[]}} settings
 * @param {{extensionId?: string}} [context]
 * @returns {{capture: boolean, reason: string}}
 */
export function captureDecision(item, settings, { extensionId = '' } = {}) {
  const rules = settings.capture;
  const never = neverCaptured(item, settings, extensionId);
  if (never) return { capture: false, reason: never };
  const url = item.finalUrl || item.url || '';
  const ext = extensionOf(item.filename ?? '') || extensionOf(url);
  if (ext && rules.extensions.includes(ext)) return { capture: true, reason: `type .${ext}` };
  const size = Number(item.totalBytes);
  if (rules.minSize > 0 && Number.isFinite(size) && size >= rules.minSize) {
    return { capture: true, reason: 'size' };
  }
  return { capture: false, reason: 'no rule matches' };
}

/**
 * Whether a download just created may still be taken once its name is known:
 * such a download is paused at once, so the browser does not fetch the file
 * while idmd is being asked (on a fast link it would fetch all of it).
 */
export function mightCapture(item, settings, { extensionId = '' } = {}) {
  return neverCaptured(item, settings, extensionId) === '';
}

// Why a download stays in the browser whatever its type and size ('' if no reason).
function neverCaptured(item, settings, extensionId) {
  if (!settings.capture.enabled) return 'capture is off';
  // Our own fallback downloads (daemon absent) must stay in the browser.
  if (extensionId && item.byExtensionId === extensionId) return 'started by this extension';
  const url = item.finalUrl || item.url || '';
  if (!isHttpUrl(url)) return 'not an http(s) URL';
  if (siteMatches(url, settings.excludedSites) || siteMatches(item.referrer ?? '', settings.excludedSites)) {
    return 'site left alone';
  }
  return '';
}

/** The file's base name from a browser-suggested path (either separator). */
export function baseName(path) {
  return String(path ?? '').split(/[\\/]/).pop() ?? '';
}

/** A Cookie header value from chrome.cookies entries. */
export function cookieHeader(cookies) {
  if (!Array.isArray(cookies)) return '';
  return cookies
    .filter((c) => c && typeof c.name === 'string' && typeof c.value === 'string')
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
}

/** idmd's jobs.add options for a download taken from the browser. */
export function jobOptions({ filename, referrer, cookies, userAgent, quality }) {
  const options = {};
  const name = baseName(filename);
  if (name) options.filename = name;
  if (referrer && isHttpUrl(referrer)) options.referer = referrer;
  if (cookies) options.cookies = cookies;
  if (userAgent) options.user_agent = userAgent;
  if (quality) options.quality = quality;
  return options;
}

const STOPPED = new Set(['failed', 'paused']);

/**
 * The stopped job a captured download is a new link for: a failed or paused plain-file
 * job with the same file name and size (an expired link clicked again on the page).
 * idmd then checks that the new link serves the same file (jobs.update {patch: {url}})
 * and refuses it otherwise; null when no job matches.
 * @param {Iterable<object>} jobs
 * @param {{filename?: string, totalBytes?: number}} item
 */
export function stoppedJobFor(jobs, item) {
  const name = baseName(item.filename);
  const size = Number(item.totalBytes);
  if (!name || !Number.isFinite(size) || size <= 0) return null;
  for (const job of jobs) {
    if (!job || !STOPPED.has(job.status) || job.kind === 'media') continue;
    if (job.filename === name && job.size === size) return job;
  }
  return null;
}
