// A small stand-in for the chrome.* APIs the worker calls, recording calls.

function storageArea() {
  const data = new Map();
  return {
    data,
    async get(keys) {
      const list = Array.isArray(keys) ? keys : [keys];
      return Object.fromEntries(list.filter((k) => data.has(k)).map((k) => [k, structuredClone(data.get(k))]));
    },
    async set(items) {
      for (const [k, v] of Object.entries(items)) data.set(k, structuredClone(v));
    },
    async remove(keys) {
      for (const k of Array.isArray(keys) ? keys : [keys]) data.delete(k);
    },
  };
}

export function fakeChrome(id = 'testextensionid') {
  const calls = [];
  const chrome = {
    calls,
    runtime: { id, getManifest: () => ({ version: '0.1.0' }) },
    storage: { local: storageArea(), session: storageArea() },
    cookies: { getAll: async ({ url }) => (url.startsWith('http://site/') ? [{ name: 'sid', value: 'abc' }] : []) },
    downloads: {
      // How many pause calls Chrome ignores first (a download not yet started).
      pausesIgnored: 0,
      paused: new Set(),
      async pause(downloadId) {
        calls.push(['pause', downloadId]);
        if (this.pausesIgnored > 0) this.pausesIgnored -= 1;
        else this.paused.add(downloadId);
      },
      async resume(downloadId) {
        calls.push(['resume', downloadId]);
        this.paused.delete(downloadId);
      },
      search: async ({ id: downloadId }) => [
        { id: downloadId, state: 'in_progress', paused: chrome.downloads.paused.has(downloadId) },
      ],
      cancel: async (downloadId) => calls.push(['cancel', downloadId]),
      erase: async (query) => calls.push(['erase', query.id]),
      download: async (options) => calls.push(['download', options.url]),
    },
    tabs: { get: async (tabId) => ({ id: tabId, url: 'http://site/page.html' }) },
    contextMenus: { removeAll: async () => undefined, create: () => undefined },
    alarms: { create: async () => undefined },
    action: { setBadgeText: async () => undefined, setBadgeBackgroundColor: async () => undefined },
  };
  return chrome;
}
