// The one WebSocket to idmd: authentication (token or pairing), requests with
// time-outs, the keep-alive ping that keeps an MV3 worker alive (connected or
// waiting for a pairing code's approval), reconnection with back-off, resuming
// a pairing code after the socket died and resuming the event stream from the
// last seq. The socket class and timers are handed in, so Node tests drive it
// with fakes.

import { backoffDelay } from './backoff.js';
import { CLOSE, ERROR, RpcError, SUBPROTOCOL, encodeRequest, parseFrame } from './rpc.js';

export const STATE = Object.freeze({
  IDLE: 'idle', // stopped
  UNPAIRED: 'unpaired', // no token yet: waiting for the user to pair or paste one
  CONNECTING: 'connecting',
  PAIRING: 'pairing', // code shown, waiting for approval in idm-tui / `idm pair approve`
  CONNECTED: 'connected',
  UNAUTHORIZED: 'unauthorized', // the daemon refused the token
  OFFLINE: 'offline', // daemon not reachable; a retry is scheduled
});

// Under MV3's 30 s idle limit: only text frames reset the worker's timer.
export const PING_INTERVAL_MS = 20_000;
// Longest wait between automatic reconnection attempts: while the worker runs,
// it is back within this long of idmd's return. A refused localhost connection
// costs next to nothing, so there is no reason to wait longer.
export const RETRY_MAX_MS = 5_000;
// Attempts someone asked for (popup opened, button, browser event) at most this often.
const MANUAL_GAP_MS = 1_000;
const noop = () => {};

export class Connection {
  /**
   * @param {object} o
   * @param {string} o.url daemon address
   * @param {string} [o.token]
   * @param {{name: string, version: string}} o.client
   * @param {typeof WebSocket} o.WebSocket
   * @param {number} [o.since] last event seq already seen
   * @param {{setTimeout: Function, clearTimeout: Function, setInterval: Function, clearInterval: Function}} [o.timers]
   */
  constructor(o) {
    this.url = o.url;
    this.token = o.token ?? '';
    this.client = o.client;
    this.WebSocket = o.WebSocket;
    this.timers = o.timers ?? globalThis;
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.retryMax = o.retryMax ?? RETRY_MAX_MS;
    this.since = o.since ?? 0;
    this.pingInterval = o.pingInterval ?? PING_INTERVAL_MS;
    this.requestTimeout = o.requestTimeout ?? 20_000;
    this.on = {
      state: o.onState ?? noop, // (connection) => void, on every state change
      event: o.onEvent ?? noop, // (event) => void
      subscribed: o.onSubscribed ?? noop, // ({seq, reset, snapshot}) => void
      token: o.onToken ?? noop, // (token) => void, after pairing was approved
      pairing: o.onPairing ?? noop, // ({code, expiresAt, resume} | null) => void, to outlive the worker
    };
    this.state = STATE.IDLE;
    this.error = '';
    this.code = ''; // pairing code while PAIRING
    this.server = null;
    this.retryAt = 0;
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map();
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.wantPair = false;
    this.pairing = null; // {code, expiresAt (ms), resume}: the code waiting for approval
    this.manual = false; // the socket being opened was asked for, not scheduled
    this.lastManual = -Infinity;
    this.running = false;
  }

  /** Begin: connect when there is a token, else wait for pair() or a token. */
  start() {
    this.running = true;
    if (this.token) this.open();
    else this.setState(STATE.UNPAIRED);
  }

  stop() {
    this.running = false;
    this.wantPair = false;
    this.dropSocket();
    this.setState(STATE.IDLE);
  }

  /** Apply a new address or token; reconnects only when something changed. */
  configure({ url = this.url, token = this.token } = {}) {
    if (url === this.url && token === this.token) return;
    this.url = url;
    this.token = token;
    this.attempt = 0;
    if (this.running) {
      this.dropSocket();
      this.start();
    }
  }

  /** Ask the daemon for a pairing code on a fresh connection. */
  pair() {
    this.setPairing(null);
    this.running = true;
    this.wantPair = true;
    this.token = '';
    this.open();
  }

  /**
   * Take over a code asked for earlier (by a worker the browser has stopped
   * since); false when it has expired. The daemon keeps it a short while.
   * @param {{code: string, expiresAt: number, resume: string}} pairing
   */
  resumePairing(pairing) {
    if (!pairing?.resume || !(pairing.expiresAt > this.now())) return false;
    this.pairing = pairing;
    this.running = true;
    this.wantPair = true;
    this.token = '';
    this.open();
    return true;
  }

  /**
   * Connect now if a retry is pending (popup opened, alarm fired, the browser
   * woke the worker). Such an attempt leaves the back-off schedule alone.
   * @param {boolean} [urgent] something waits on it (a download): no rate limit
   */
  ensure(urgent = false) {
    if (!this.running) return;
    if (this.state === STATE.OFFLINE || (this.state === STATE.IDLE && this.token)) {
      const now = this.now();
      if (!urgent && now - this.lastManual < MANUAL_GAP_MS) return;
      this.lastManual = now;
      this.open(true);
    }
  }

  get connected() {
    return this.state === STATE.CONNECTED;
  }

  /** Call an RPC method; rejects unless authenticated. */
  call(method, params) {
    if (!this.connected) return Promise.reject(new Error('not connected to idmd'));
    return this.request(method, params);
  }

  // --- internals -----------------------------------------------------------

  setState(state, error = '') {
    this.state = state;
    this.error = error;
    if (state !== STATE.PAIRING) this.code = '';
    this.on.state(this);
  }

  open(manual = false) {
    this.manual = manual;
    this.dropSocket();
    this.setState(STATE.CONNECTING);
    let ws;
    try {
      ws = new this.WebSocket(this.url, SUBPROTOCOL);
    } catch (err) {
      this.retryLater(`cannot connect: ${err.message}`);
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.onOpen(ws);
    ws.onmessage = (msg) => this.onMessage(ws, msg.data);
    ws.onclose = (ev) => this.onClose(ws, ev.code, ev.reason);
    ws.onerror = noop; // a close event always follows with the details
  }

  async onOpen(ws) {
    if (ws !== this.ws) return;
    try {
      if (this.token) {
        await this.authenticate(ws);
      } else if (this.wantPair) {
        const resume = this.pairing?.resume;
        const result = await this.request('session.pair', resume ? { client: this.client, resume } : { client: this.client });
        if (ws !== this.ws) return;
        this.setPairing({
          code: String(result?.code ?? ''),
          expiresAt: Number(result?.expires_at) * 1000 || this.now() + 120_000,
          resume: String(result?.resume ?? ''),
        });
        this.code = this.pairing.code;
        // Nothing else crosses the socket until a user approves: without the
        // pings the browser stops the idle worker, and the socket with it.
        this.startPing();
        this.setState(STATE.PAIRING);
      }
    } catch (err) {
      if (ws !== this.ws) return;
      if (err instanceof RpcError && err.code === ERROR.UNAUTHORIZED) {
        this.dropSocket();
        this.setState(STATE.UNAUTHORIZED, 'idmd refused the token: pair again or paste a new one');
      } else if (!this.token) {
        // Pairing itself failed: say why and wait for the user, do not loop.
        this.wantPair = false;
        this.setPairing(null);
        this.dropSocket();
        this.setState(STATE.UNPAIRED, `pairing failed: ${err.message}`);
      } else {
        this.dropSocket();
        this.retryLater(err.message);
      }
    }
  }

  async authenticate(ws) {
    const hello = await this.request('session.hello', { token: this.token, client: this.client });
    if (ws !== this.ws) return;
    this.server = hello?.server ?? null;
    this.attempt = 0;
    this.retryAt = 0;
    this.wantPair = false;
    this.setPairing(null);
    this.setState(STATE.CONNECTED);
    this.startPing();
    // No seq yet: the snapshot alone is the truth, no replay of old history.
    const since = this.since > 0 ? this.since : null;
    const sub = await this.request('events.subscribe', { since });
    if (ws !== this.ws) return;
    // The snapshot is current up to sub.seq (also when a restarted daemon counts anew).
    if (Number.isFinite(sub?.seq)) this.since = sub.seq;
    this.on.subscribed(sub ?? {});
  }

  startPing() {
    if (this.pingTimer !== null) this.timers.clearInterval(this.pingTimer);
    this.pingTimer = this.timers.setInterval(() => {
      this.request('session.ping', {}).catch(noop);
    }, this.pingInterval);
  }

  setPairing(pairing) {
    if (pairing === null && this.pairing === null) return;
    this.pairing = pairing;
    this.on.pairing(pairing);
  }

  onMessage(ws, data) {
    if (ws !== this.ws || typeof data !== 'string') return;
    for (const msg of parseFrame(data)) {
      if (msg.kind === 'response') {
        const waiter = this.pending.get(msg.id);
        if (!waiter) continue;
        this.pending.delete(msg.id);
        this.timers.clearTimeout(waiter.timer);
        if (msg.error) waiter.reject(msg.error);
        else waiter.resolve(msg.result);
      } else if (msg.kind === 'event') {
        this.onEvent(ws, msg.event);
      }
    }
  }

  onEvent(ws, event) {
    if (event.type === 'pairing.approved') {
      const token = event.data?.token;
      if (this.state === STATE.PAIRING && typeof token === 'string' && token) {
        this.token = token;
        this.on.token(token);
        this.authenticate(ws).catch((err) => {
          if (ws === this.ws) {
            this.dropSocket();
            this.retryLater(err.message);
          }
        });
      }
      return; // never passed on: it carries the secret
    }
    if (event.seq > this.since) this.since = event.seq;
    this.on.event(event);
  }

  onClose(ws, code, reason) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.clearSession(new Error('connection closed'));
    if (!this.running) return;
    if (code === CLOSE.UNAUTHORIZED) {
      if (this.token) {
        this.setState(STATE.UNAUTHORIZED, reason || 'idmd refused the token');
      } else {
        this.wantPair = false;
        this.setPairing(null);
        const denied = /denied/i.test(reason);
        this.setState(STATE.UNPAIRED, denied ? 'pairing was denied in idmd' : 'the pairing code expired: try again');
      }
      return;
    }
    if (!this.token) {
      if (this.wantPair && this.pairing && this.pairing.expiresAt > this.now()) {
        // The socket died, the code lives on in idmd for a while: take it over again.
        this.retryLater('reconnecting to finish pairing');
        return;
      }
      const wasPairing = this.wantPair;
      this.wantPair = false;
      this.setPairing(null);
      this.setState(STATE.UNPAIRED, wasPairing ? 'the connection closed before pairing was approved' : '');
      return;
    }
    this.retryLater(reason || `connection closed (${code})`);
  }

  retryLater(why) {
    if (!this.running) return;
    const now = this.now();
    let delay;
    if (this.manual && this.retryAt > now) {
      // A retry someone asked for failed: the automatic ones keep their schedule.
      delay = this.retryAt - now;
    } else {
      const attempt = this.manual ? this.attempt : this.attempt++;
      delay = backoffDelay(attempt, { max: this.retryMax, random: this.random });
      this.retryAt = now + delay;
    }
    this.manual = false;
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
    this.setState(STATE.OFFLINE, why);
  }

  request(method, params) {
    const ws = this.ws;
    if (!ws) return Promise.reject(new Error('not connected to idmd'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer from idmd`));
      }, this.requestTimeout);
      this.pending.set(id, { resolve, reject, timer });
      try {
        ws.send(encodeRequest(id, method, params));
      } catch (err) {
        this.pending.delete(id);
        this.timers.clearTimeout(timer);
        reject(err);
      }
    });
  }

  clearSession(error) {
    if (this.pingTimer !== null) this.timers.clearInterval(this.pingTimer);
    this.pingTimer = null;
    for (const waiter of this.pending.values()) {
      this.timers.clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.pending.clear();
  }

  dropSocket() {
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.ws = null;
    this.clearSession(new Error('connection closed'));
    if (ws) {
      try {
        ws.close(1000);
      } catch {
        // already closing
      }
    }
  }
}
