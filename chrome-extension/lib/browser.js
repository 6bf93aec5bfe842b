// The one place that calls chrome.* for actions (listeners are registered in
// background.js at top level, as MV3 requires). Storage writes are chained so
// two writes never interleave, and failures are logged rather than thrown at
// callers that cannot do anything about them.

const api = globalThis.chrome;
let storageChain = Promise.resolve();

export const extensionId = () => api.runtime.id;
export const version = () => api.runtime.getManifest().version;

export function storageGet(area, keys) {
  return api.storage[area].get(keys);
}

/** Queue a write; resolves when this write (and every earlier one) is done. */
export function storageSet(area, items) {
  const write = storageChain.then(() => api.storage[area].set(items));
  storageChain = write.catch((err) => console.warn('idm: storage write failed', err));
  return write;
}

export function storageRemove(area, keys) {
  const write = storageChain.then(() => api.storage[area].remove(keys));
  storageChain = write.catch((err) => console.warn('idm: storage remove failed', err));
  return write;
}

/** The Cookie header a page would send to `url` (empty when cookies are off or denied). */
export async function cookiesFor(url) {
  try {
    return await api.cookies.getAll({ url });
  } catch {
    return [];
  }
}

// Chrome ignores a pause that reaches a download before its request is attached
// (the item exists, its transfer not yet): on a busy machine onCreated can come
// that early, and the whole file then arrives unheld. So the pause is read back
// and asked again, every few ms, until it holds or the download is no longer running.
const PAUSE_RETRY_MS = 5;
const PAUSE_ATTEMPTS = 100;

/** Stop the browser reading a download (it may still be handed to idmd). */
export async function pauseDownload(id) {
  for (let attempt = 0; attempt < PAUSE_ATTEMPTS; attempt += 1) {
    try {
      await api.downloads.pause(id);
      const [item] = await api.downloads.search({ id });
      if (!item || item.paused || item.state !== 'in_progress') return;
    } catch {
      return; // already finished or cancelled: nothing to hold
    }
    await new Promise((resolve) => setTimeout(resolve, PAUSE_RETRY_MS));
  }
  console.warn(`idm: the browser would not pause download ${id}`);
}

/** Let a download paused by pauseDownload carry on in the browser. */
export async function resumeDownload(id) {
  try {
    await api.downloads.resume(id);
  } catch {
    // not paused (or gone): nothing to do
  }
}

/** Cancel a browser download and drop it from the browser's list: idmd has it now. */
export async function cancelDownload(id) {
  await api.downloads.cancel(id);
  try {
    await api.downloads.erase({ id });
  } catch {
    // the entry stays listed as cancelled: harmless
  }
}

/** Let the browser download `url` itself (the daemon is not there). */
export function browserDownload(url) {
  return api.downloads.download({ url });
}

export async function tabUrl(tabId) {
  try {
    const tab = await api.tabs.get(tabId);
    return tab?.url ?? '';
  } catch {
    return '';
  }
}

export async function createMenus(id, title) {
  await api.contextMenus.removeAll();
  api.contextMenus.create({ id, title, contexts: ['link', 'image', 'video', 'audio'] });
}

export function ensureAlarm(name, periodInMinutes) {
  return api.alarms.create(name, { periodInMinutes });
}

export function setBadge(text, color) {
  api.action.setBadgeText({ text }).catch(() => undefined);
  if (color) api.action.setBadgeBackgroundColor({ color }).catch(() => undefined);
}
