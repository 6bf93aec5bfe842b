// Test doubles for the connection: a scriptable WebSocket and manual timers.

export class FakeTimers {
  constructor() {
    this.now = 0;
    this.nextId = 1;
    this.tasks = new Map();
  }
  setTimeout(fn, ms) {
    const id = this.nextId++;
    this.tasks.set(id, { fn, at: this.now + ms, every: 0 });
    return id;
  }
  setInterval(fn, ms) {
    const id = this.nextId++;
    this.tasks.set(id, { fn, at: this.now + ms, every: ms });
    return id;
  }
  clearTimeout(id) {
    this.tasks.delete(id);
  }
  clearInterval(id) {
    this.tasks.delete(id);
  }
  /** Run everything due within `ms`, in time order. */
  advance(ms) {
    const end = this.now + ms;
    for (;;) {
      let next = null;
      for (const [id, t] of this.tasks) if (t.at <= end && (!next || t.at < next[1].at)) next = [id, t];
      if (!next) break;
      const [id, t] = next;
      this.now = t.at;
      if (t.every) t.at += t.every;
      else this.tasks.delete(id);
      t.fn();
    }
    this.now = end;
  }
  pending() {
    return [...this.tasks.values()].map((t) => t.at - this.now);
  }
}

export function fakeSocketClass() {
  const sockets = [];
  class FakeSocket {
    constructor(url, protocol) {
      this.url = url;
      this.protocol = protocol;
      this.sent = [];
      this.closed = false;
      sockets.push(this);
    }
    send(text) {
      if (this.closed) throw new Error('closed');
      this.sent.push(JSON.parse(text));
    }
    close(code) {
      this.closed = true;
      this.closeCode = code;
    }
    // --- what the daemon does ---
    open() {
      this.onopen?.();
    }
    receive(obj) {
      this.onmessage?.({ data: JSON.stringify(obj) });
    }
    reply(result, index = -1) {
      const req = this.sent.at(index);
      this.receive({ jsonrpc: '2.0', id: req.id, result });
    }
    fail(code, message, index = -1) {
      const req = this.sent.at(index);
      this.receive({ jsonrpc: '2.0', id: req.id, error: { code, message } });
    }
    event(seq, type, job, data) {
      this.receive({ jsonrpc: '2.0', method: 'event', params: { seq, type, job, at: 0, data } });
    }
    drop(code = 1006, reason = '') {
      this.closed = true;
      this.onclose?.({ code, reason });
    }
    last() {
      return this.sent.at(-1);
    }
  }
  return { FakeSocket, sockets };
}

/** Let pending promise callbacks run. */
export const flush = () => new Promise((resolve) => setImmediate(resolve));
