// URL classification: which URLs are downloadable, what a response is (HLS,
// DASH, plain audio/video), file extensions and host matching. Pure, no chrome.*.

const HLS_TYPES = new Set([
  'application/vnd.apple.mpegurl',
  'application/x-mpegurl',
  'audio/mpegurl',
  'audio/x-mpegurl',
]);
const DASH_TYPES = new Set(['application/dash+xml']);
// Pieces of a stream, not something a user wants on its own: the playlist is.
const SEGMENT_TYPES = new Set(['video/mp2t', 'video/iso.segment', 'audio/iso.segment']);
const SEGMENT_EXTENSIONS = new Set(['ts', 'm4s', 'cmfv', 'cmfa', 'vtt', 'webvtt']);
const VIDEO_EXTENSIONS = new Set(['mp4', 'm4v', 'webm', 'mkv', 'mov', 'avi', 'ogv', 'flv']);
const AUDIO_EXTENSIONS = new Set(['mp3', 'm4a', 'aac', 'ogg', 'oga', 'opus', 'flac', 'wav']);

export const MAX_URL_LENGTH = 4096;

/** True for an absolute http(s) URL of sane length: the only kind idmd can fetch. */
export function isHttpUrl(url) {
  if (typeof url !== 'string' || url.length > MAX_URL_LENGTH) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Lower-case extension (no dot) of a file name, a path or a URL's path; '' if none. */
export function extensionOf(nameOrUrl) {
  if (typeof nameOrUrl !== 'string' || nameOrUrl === '') return '';
  let path = nameOrUrl;
  try {
    path = new URL(nameOrUrl).pathname;
  } catch {
    // not a URL: a file name or a path
  }
  const base = path.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || dot === base.length - 1) return '';
  return base.slice(dot + 1).toLowerCase();
}

/** The last path segment of a URL, decoded, for showing in lists. */
export function displayName(url) {
  try {
    const parsed = new URL(url);
    const last = parsed.pathname.split('/').filter(Boolean).pop();
    return last ? decodeURIComponent(last) : parsed.host;
  } catch {
    return String(url);
  }
}

function mimeOf(contentType) {
  return String(contentType ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * What a network response is, from its URL and Content-Type:
 * 'hls', 'dash', 'video', 'audio', or null for anything that is not media
 * worth listing (pages, images, stream segments).
 */
export function classifyMedia(url, contentType) {
  if (!isHttpUrl(url)) return null;
  const mime = mimeOf(contentType);
  const ext = extensionOf(url);
  if (HLS_TYPES.has(mime) || ext === 'm3u8') return 'hls';
  if (DASH_TYPES.has(mime) || ext === 'mpd') return 'dash';
  if (SEGMENT_TYPES.has(mime) || SEGMENT_EXTENSIONS.has(ext)) return null;
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  // Servers often send media as octet-stream: trust the extension then.
  if (mime === '' || mime === 'application/octet-stream') {
    if (VIDEO_EXTENSIONS.has(ext)) return 'video';
    if (AUDIO_EXTENSIONS.has(ext)) return 'audio';
  }
  return null;
}

/** The host of a URL, lower-case, or '' when it has none. */
export function hostOf(url) {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/** True when `url`'s host is one of `sites` or a subdomain of one. */
export function siteMatches(url, sites) {
  const host = hostOf(url);
  if (!host || !Array.isArray(sites)) return false;
  return sites.some((site) => {
    const s = String(site).toLowerCase().replace(/^\*?\./, '');
    return s !== '' && (host === s || host.endsWith(`.${s}`));
  });
}
