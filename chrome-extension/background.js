// The service worker: every listener is registered synchronously here, at the
// top level, and waits on `ready` (state rebuilt from chrome.storage), because
// Chrome may stop the worker at any moment and start it again for one event.
// What each event does lives in worker.js; the rules are pure modules in lib/.

import { Worker } from './worker.js';

const worker = new Worker();
const ready = worker.init();
// Reachable from the worker's DevTools console (and the end-to-end tests);
// pages and content scripts cannot see a service worker's globals.
globalThis.idm = { worker, ready };

// Run `fn` once the state is loaded; errors are logged, never thrown into Chrome.
// Whatever woke the worker is also a chance to reconnect if idmd was away.
function whenReady(fn) {
  return ready
    .then(() => {
      worker.wake();
      return fn();
    })
    .catch((err) => console.warn('idm:', err));
}

chrome.runtime.onInstalled.addListener(() => {
  whenReady(() => worker.installMenus());
});

// Nothing to do but wake up: init() connects.
chrome.runtime.onStartup.addListener(() => {
  whenReady(() => undefined);
});

chrome.alarms.onAlarm.addListener((alarm) => {
  whenReady(() => worker.onAlarm(alarm));
});

chrome.storage.onChanged.addListener((changes, area) => {
  whenReady(() => worker.onStorageChanged(changes, area));
});

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  ready
    .then(() => worker.onMessage(msg, sender))
    .then(
      (result) => sendResponse({ ok: true, result }),
      (err) => sendResponse({ ok: false, error: String(err?.message ?? err), code: err?.code ?? null }),
    );
  return true; // the answer comes asynchronously
});

chrome.runtime.onConnect.addListener((port) => {
  // Register the port's listeners now; the worker may not be ready yet.
  const pending = [];
  let attached = false;
  port.onMessage.addListener((msg) => {
    if (attached) worker.onPortMessage(port, msg);
    else pending.push(msg);
  });
  port.onDisconnect.addListener(() => worker.onPortClosed(port));
  whenReady(() => {
    worker.onPortOpened(port);
    attached = true;
    for (const msg of pending) worker.onPortMessage(port, msg);
  });
});

chrome.downloads.onCreated.addListener((item) => {
  whenReady(() => worker.onDownloadCreated(item));
});

chrome.downloads.onDeterminingFilename.addListener((item, suggest) => {
  // Hold the browser's download until we know whether idmd took it; if it
  // did not (or anything went wrong) the browser simply carries on.
  ready
    .then(() => worker.onDownload(item))
    .catch((err) => {
      console.warn('idm: capture failed, the browser keeps the download', err);
      return false;
    })
    .then((taken) => {
      // A download idmd took is cancelled already: Chrome no longer waits for a name.
      if (!taken) suggest();
    });
  return true;
});

chrome.contextMenus.onClicked.addListener((info, tab) => {
  whenReady(() => worker.onMenu(info, tab));
});

chrome.webRequest.onBeforeRequest.addListener(
  (details) => {
    // A new page in the tab: its old media list no longer applies.
    if (details.tabId >= 0) whenReady(() => worker.clearTab(details.tabId));
  },
  { urls: ['<all_urls>'], types: ['main_frame'] },
);

chrome.webRequest.onHeadersReceived.addListener(
  (details) => {
    if (details.tabId >= 0) whenReady(() => worker.onResponse(details));
  },
  { urls: ['<all_urls>'], types: ['media', 'xmlhttprequest', 'other'] },
  ['responseHeaders'],
);

chrome.tabs.onRemoved.addListener((tabId) => {
  whenReady(() => worker.clearTab(tabId));
});

// Switching tabs or windows does nothing else than wake the worker (and so
// reconnect it if idmd came back while it was stopped).
chrome.tabs.onActivated.addListener(() => {
  whenReady(() => undefined);
});

chrome.windows.onFocusChanged.addListener(() => {
  whenReady(() => undefined);
});
