// How the extension's own pages (popup, options) talk to the service worker:
// one-off requests, and a port over which the worker pushes its state. The
// worker may be stopped at any time; the port then closes and watching again
// starts a new worker.

const REWATCH_MS = 300;

/** Send a runtime message to the worker; resolves with its result, rejects with its error. */
export async function send(msg) {
  const reply = await chrome.runtime.sendMessage(msg);
  if (!reply?.ok) throw new Error(reply?.error ?? 'no answer from the extension');
  return reply.result;
}

/**
 * Receive the worker's state (for tab `tabId`, -1 for none) until the page
 * closes, across worker restarts.
 * @param {number} tabId
 * @param {(state: object) => void} onState
 */
export function watch(tabId, onState) {
  const port = chrome.runtime.connect({ name: 'popup' });
  port.onMessage.addListener((msg) => {
    if (msg?.type === 'state') onState(msg.state);
  });
  // The worker was stopped (or restarted): watching again wakes it up.
  port.onDisconnect.addListener(() => setTimeout(() => watch(tabId, onState), REWATCH_MS));
  port.postMessage({ type: 'watch', tabId });
}
