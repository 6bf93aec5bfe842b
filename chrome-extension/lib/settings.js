// The extension's settings: defaults, validation and normalisation. Whatever
// is in chrome.storage (old versions, hand edits) goes through normalizeSettings.

export const DEFAULT_DAEMON_URL = 'ws://127.0.0.1:8765/rpc';

// Common download types captured out of the box: archives, disk images,
// installers, audio and video. Documents and images stay with the browser.
export const DEFAULT_EXTENSIONS = Object.freeze([
  '7z', 'apk', 'bz2', 'deb', 'dmg', 'exe', 'gz', 'iso', 'msi', 'pkg', 'rar', 'rpm',
  'tar', 'tgz', 'xz', 'zip', 'zst',
  'avi', 'flv', 'm4v', 'mkv', 'mov', 'mp4', 'webm', 'wmv',
  'aac', 'flac', 'm4a', 'mp3', 'ogg', 'opus', 'wav',
]);

export const DEFAULT_SETTINGS = Object.freeze({
  daemonUrl: DEFAULT_DAEMON_URL,
  capture: Object.freeze({
    enabled: true,
    extensions: DEFAULT_EXTENSIONS,
    // Bytes; 0 means "by type only". Above it any download is captured.
    minSize: 0,
  }),
  excludedSites: Object.freeze([]),
});

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The daemon address, checked: ws:// on a loopback host with a path. The token
 * is sent over it, so anything off this machine is refused.
 * @returns {string} the normalised URL
 */
export function validateDaemonUrl(value) {
  const text = String(value ?? '').trim();
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`not a URL: ${text || '(empty)'}`);
  }
  if (url.protocol !== 'ws:') throw new Error('the address must start with ws://');
  if (!LOOPBACK_HOSTS.has(url.hostname)) {
    throw new Error('idmd listens on this machine only: use 127.0.0.1, localhost or [::1]');
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/rpc';
  return url.toString();
}

/** Split a user-typed list (commas, spaces, new lines) into clean, unique items. */
export function parseList(text) {
  const items = Array.isArray(text) ? text : String(text ?? '').split(/[\s,;]+/);
  const seen = new Set();
  for (const item of items) {
    const clean = String(item).trim().toLowerCase();
    if (clean) seen.add(clean);
  }
  return [...seen];
}

/** File extensions without dots, e.g. ".ZIP, mp4" -> ['zip', 'mp4']. */
export function parseExtensions(text) {
  return parseList(parseList(text).map((e) => e.replace(/^\*?\./, ''))).filter((e) =>
    /^[a-z0-9]{1,10}$/.test(e),
  );
}

/** Host names, e.g. "https://Example.com/x, *.foo.org" -> ['example.com', 'foo.org']. */
export function parseSites(text) {
  const hosts = parseList(text)
    .map((s) => {
      const bare = s.replace(/^\*\./, '');
      try {
        return new URL(bare.includes('://') ? bare : `http://${bare}`).hostname;
      } catch {
        return '';
      }
    })
    .filter((h) => /^[a-z0-9.\-[\]:]+$/.test(h));
  return parseList(hosts);
}

function nonNegativeInt(value, fallback) {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : fallback;
}

/** A complete, valid settings object from whatever was stored. */
export function normalizeSettings(raw) {
  const src = raw && typeof raw === 'object' ? raw : {};
  const capture = src.capture && typeof src.capture === 'object' ? src.capture : {};
  let daemonUrl = DEFAULT_DAEMON_URL;
  try {
    if (src.daemonUrl) daemonUrl = validateDaemonUrl(src.daemonUrl);
  } catch {
    // a bad stored address falls back to the default rather than breaking the worker
  }
  return {
    daemonUrl,
    capture: {
      enabled: typeof capture.enabled === 'boolean' ? capture.enabled : true,
      extensions: Array.isArray(capture.extensions)
        ? parseExtensions(capture.extensions)
        : [...DEFAULT_EXTENSIONS],
      minSize: nonNegativeInt(capture.minSize, 0),
    },
    excludedSites: Array.isArray(src.excludedSites) ? parseSites(src.excludedSites) : [],
  };
}
