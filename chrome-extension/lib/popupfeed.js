// Live state for open popups and options pages: each watches over a port and
// gets the whole state, at most five times a second however fast events come.

export const FEED_INTERVAL_MS = 200;

export class PopupFeed {
  /**
   * @param {(tabId: number) => object} stateFor the state a page showing `tabId` needs
   * @param {string} extensionId only this extension's own pages may watch
   * @param {{setTimeout: Function}} [timers]
   */
  constructor(stateFor, extensionId, timers = globalThis) {
    this.stateFor = stateFor;
    this.origin = `chrome-extension://${extensionId}/`;
    this.timers = timers;
    this.ports = new Map(); // port -> tab id it shows
    this.timer = null;
  }

  /** Accept a port from our own pages; false (and disconnected) for anything else. */
  opened(port) {
    if (port.name !== 'popup' || !String(port.sender?.url ?? '').startsWith(this.origin)) {
      port.disconnect();
      return false;
    }
    this.ports.set(port, -1);
    return true;
  }

  message(port, msg) {
    if (!this.ports.has(port) || msg?.type !== 'watch') return;
    const tabId = Number(msg.tabId);
    this.ports.set(port, tabId);
    this.send(port, tabId);
  }

  closed(port) {
    this.ports.delete(port);
  }

  /** Something changed: push the state soon (one push for a burst). */
  changed() {
    if (this.timer !== null || this.ports.size === 0) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      for (const [port, tabId] of this.ports) this.send(port, tabId);
    }, FEED_INTERVAL_MS);
  }

  send(port, tabId) {
    try {
      port.postMessage({ type: 'state', state: this.stateFor(tabId) });
    } catch {
      this.ports.delete(port); // the page went away
    }
  }
}
