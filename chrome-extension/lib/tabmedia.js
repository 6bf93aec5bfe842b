// Media found on each tab (content script reports and webRequest), as plain
// lists keyed by tab id so they can be kept in chrome.storage.session. Pure.

import { displayName, isHttpUrl } from './classify.js';

export const MAX_PER_TAB = 50;
export const KINDS = new Set(['video', 'audio', 'hls', 'dash']);

/**
 * The tab's list with `item` added (or refreshed), newest last; streams
 * (HLS/DASH) outrank a plain report of the same URL.
 */
export function addMedia(list, item) {
  const items = Array.isArray(list) ? list.filter((m) => m.url !== item.url) : [];
  const old = Array.isArray(list) ? list.find((m) => m.url === item.url) : undefined;
  const kind = old && (old.kind === 'hls' || old.kind === 'dash') ? old.kind : item.kind;
  items.push({ url: item.url, kind, name: item.name || displayName(item.url), source: item.source ?? old?.source ?? '' });
  return items.slice(-MAX_PER_TAB);
}

/**
 * The valid media items of a content-script report: http(s) URLs and known
 * kinds only, at most MAX_PER_TAB. Anything else a page may have slipped in is dropped.
 */
export function sanitizeReport(items) {
  if (!Array.isArray(items)) return [];
  const out = [];
  for (const item of items.slice(0, MAX_PER_TAB)) {
    if (!item || typeof item !== 'object') continue;
    const kind = item.kind === 'audio' ? 'audio' : 'video';
    if (isHttpUrl(item.url)) out.push({ url: item.url, kind, source: 'page' });
  }
  return out;
}
