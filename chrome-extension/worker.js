// What the service worker does with each event: the connection to idmd, the
// job table, per-tab media, capture and the popup's live state. State that
// must outlive the worker is in chrome.storage (settings and token in local,
// jobs, seq and media in session); everything here is rebuilt from it.

import * as browser from './lib/browser.js';
import { captureDecision, cookieHeader, jobOptions, mightCapture, stoppedJobFor } from './lib/capture.js';
import { classifyMedia, isHttpUrl } from './lib/classify.js';
import { Connection, STATE } from './lib/connection.js';
import { JobTable } from './lib/jobs.js';
import { authorize, jobIds } from './lib/messages.js';
import { PopupFeed } from './lib/popupfeed.js';
import { normalizeSettings, validateDaemonUrl } from './lib/settings.js';
import { addMedia, sanitizeReport } from './lib/tabmedia.js';

const MENU_ID = 'idm-download';
const ALARM = 'idm-reconnect';
// The shortest period Chrome allows (since Chrome 120): a stopped worker is woken this often.
const ALARM_MINUTES = 0.5;
const CONNECT_WAIT_MS = 4000; // how long a captured download waits for a waking connection
const TOKEN_RE = /^[A-Za-z0-9._~+/=-]{16,512}$/;

export class Worker {
  constructor() {
    this.settings = normalizeSettings({});
    this.jobs = new JobTable();
    this.media = {}; // tab id -> [{url, kind, name, source}]
    this.feed = new PopupFeed((tabId) => this.popupState(tabId), browser.extensionId());
    this.connection = null;
    this.persistTimer = null;
    this.badge = '';
    this.stateWaiters = new Set();
  }

  async init() {
    const local = await browser.storageGet('local', ['settings', 'token']);
    const session = await browser.storageGet('session', ['jobs', 'since', 'media', 'pairing']);
    this.settings = normalizeSettings(local.settings);
    this.jobs = new JobTable(session.jobs?.jobs ?? [], session.jobs?.stats ?? null);
    this.media = session.media && typeof session.media === 'object' ? session.media : {};
    this.connection = new Connection({
      url: this.settings.daemonUrl,
      token: typeof local.token === 'string' ? local.token : '',
      client: { name: 'idm-chrome', version: browser.version() },
      WebSocket: globalThis.WebSocket,
      since: Number(session.since) || 0,
      onState: () => this.onConnectionState(),
      onEvent: (ev) => this.jobs.applyEvent(ev) && this.changed(),
      onSubscribed: (sub) => {
        this.jobs.applySubscribe(sub);
        this.changed();
      },
      onToken: (token) => browser.storageSet('local', { token }),
      // A pairing code outlives this worker: a new one takes it over (the daemon waits a little).
      onPairing: (pairing) => (pairing ? browser.storageSet('session', { pairing }) : browser.storageRemove('session', 'pairing')),
    });
    if (this.connection.token || !this.connection.resumePairing(session.pairing)) this.connection.start();
    // Wakes a stopped worker now and then, so it reconnects once idmd is back.
    browser.ensureAlarm(ALARM, ALARM_MINUTES);
  }

  /** Any browser event woke or reached the worker: a good moment to reconnect. */
  wake() {
    this.connection.ensure();
  }

  installMenus() {
    return browser.createMenus(MENU_ID, 'Download with idm');
  }

  onAlarm(alarm) {
    if (alarm.name === ALARM) this.connection.ensure();
  }

  onStorageChanged(changes, area) {
    if (area !== 'local') return;
    if (changes.settings) this.settings = normalizeSettings(changes.settings.newValue);
    const token = changes.token ? (changes.token.newValue ?? '') : this.connection.token;
    this.connection.configure({ url: this.settings.daemonUrl, token });
    this.broadcast();
  }

  // --- connection ------------------------------------------------------------

  onConnectionState() {
    for (const wake of this.stateWaiters) wake();
    this.updateBadge();
    this.broadcast();
  }

  /** True once connected; false if the daemon is away (or not within `ms`). */
  async waitConnected(ms) {
    const c = this.connection;
    if (c.state === STATE.OFFLINE) c.ensure(true);
    const deadline = Date.now() + ms;
    while (c.state === STATE.CONNECTING && Date.now() < deadline) {
      await new Promise((resolve) => {
        const wake = () => {
          this.stateWaiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, deadline - Date.now());
        this.stateWaiters.add(wake);
      });
    }
    return c.connected;
  }

  // Jobs and since are saved together, a little later, so a burst of
  // progress events costs one write.
  changed() {
    this.updateBadge();
    this.broadcast();
    if (this.persistTimer !== null) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      browser.storageSet('session', { jobs: this.jobs.toJSON(), since: this.connection.since });
    }, 1000);
  }

  // The badge: how many downloads run, or '!' while idmd cannot be reached.
  updateBadge() {
    const c = this.connection;
    let badge = ['', '#1a73e8'];
    if (c && [STATE.OFFLINE, STATE.UNAUTHORIZED].includes(c.state)) badge = ['!', '#b00020'];
    else if (c?.state === STATE.PAIRING) badge = ['…', '#1a73e8'];
    else if (this.jobs.activeCount()) badge = [String(this.jobs.activeCount()), '#1a73e8'];
    const key = badge.join();
    if (key === this.badge) return; // progress events come often; the badge rarely changes
    this.badge = key;
    browser.setBadge(...badge);
  }

  // --- jobs ------------------------------------------------------------------

  /** jobs.add with what the browser knows: cookies, referer, user agent. */
  async addJob(url, { filename = '', referrer = '', quality = '' } = {}) {
    const cookies = cookieHeader(await browser.cookiesFor(url));
    const options = jobOptions({ filename, referrer, cookies, userAgent: navigator.userAgent, quality });
    return this.connection.call('jobs.add', { url, options });
  }

  /**
   * A captured download with the name and size of a failed or paused job is that job's
   * new link (the old one expired): idmd keeps the bytes it has if the link serves the
   * same file. True when it took the link; false (add a new job) when no job matches or
   * idmd found a different file.
   */
  async refreshJob(url, item) {
    const job = stoppedJobFor(this.jobs.jobs.values(), item);
    if (!job) return false;
    try {
      await this.connection.call('jobs.update', { id: job.id, patch: { url } });
      return true;
    } catch (err) {
      console.info(`idm: not a new link for ${job.id}, added as a new download`, err);
      return false;
    }
  }

  /** chrome.downloads.onCreated: hold anything that may be captured before its bytes pile up. */
  onDownloadCreated(item) {
    if (item.state !== 'in_progress') return undefined;
    if (!mightCapture(item, this.settings, { extensionId: browser.extensionId() })) return undefined;
    return browser.pauseDownload(item.id);
  }

  /** chrome.downloads: hand matching downloads to idmd; true when it took one. */
  async onDownload(item) {
    const decision = captureDecision(item, this.settings, { extensionId: browser.extensionId() });
    let taken = false;
    try {
      taken = decision.capture && (await this.handOver(item));
    } finally {
      // Held since it was created (or just now): the browser carries on with it.
      if (!taken) await browser.resumeDownload(item.id);
    }
    return taken;
  }

  async handOver(item) {
    await browser.pauseDownload(item.id); // in case onCreated came too late or not at all
    if (!(await this.waitConnected(CONNECT_WAIT_MS))) return false; // the browser keeps it
    const url = item.finalUrl || item.url;
    try {
      if (!(await this.refreshJob(url, item))) {
        await this.addJob(url, { filename: item.filename, referrer: item.referrer });
      }
    } catch (err) {
      console.warn('idm: idmd did not take the download, the browser keeps it', err);
      return false;
    }
    await browser.cancelDownload(item.id);
    return true;
  }

  async onMenu(info, tab) {
    if (info.menuItemId !== MENU_ID) return;
    const isMedia = info.mediaType === 'video' || info.mediaType === 'audio';
    let url = info.linkUrl || info.srcUrl || '';
    // A <video> fed by MediaSource has a blob: URL; the page is what yt-dlp can read.
    if (isMedia && !isHttpUrl(url)) url = info.pageUrl || tab?.url || '';
    if (!isHttpUrl(url)) return;
    try {
      if (!(await this.waitConnected(CONNECT_WAIT_MS))) throw new Error('idmd is not running');
      await this.addJob(url, { referrer: info.pageUrl || tab?.url || '' });
    } catch (err) {
      // Nothing is lost: the browser downloads it (and capture leaves our own downloads alone).
      console.warn('idm: falling back to the browser', err);
      if (info.linkUrl || !isMedia) await browser.browserDownload(url);
    }
  }

  // --- media per tab ---------------------------------------------------------

  setTabMedia(tabId, list) {
    if (list.length) this.media[tabId] = list;
    else delete this.media[tabId];
    browser.storageSet('session', { media: this.media });
    this.broadcast();
  }

  clearTab(tabId) {
    if (this.media[tabId]) this.setTabMedia(tabId, []);
  }

  onResponse(details) {
    const header = (details.responseHeaders ?? []).find((h) => h.name.toLowerCase() === 'content-type');
    const kind = classifyMedia(details.url, header?.value ?? '');
    if (!kind) return;
    this.setTabMedia(details.tabId, addMedia(this.media[details.tabId], { url: details.url, kind, source: 'network' }));
  }

  onMediaReport(items, tabId) {
    let list = this.media[tabId];
    const before = JSON.stringify(list ?? []);
    for (const item of sanitizeReport(items)) list = addMedia(list, item);
    if (list && JSON.stringify(list) !== before) this.setTabMedia(tabId, list);
  }

  // --- messages from the popup, the options page and content scripts --------

  async onMessage(msg, sender) {
    const verb = authorize(msg, sender, browser.extensionId());
    const c = this.connection;
    switch (verb) {
      case 'media.found':
        return this.onMediaReport(msg.items, sender.tab.id);
      case 'state.get':
        c.ensure();
        return this.popupState(Number(msg.tabId));
      case 'media.probe':
        if (!isHttpUrl(msg.url)) throw new Error('not an http(s) URL');
        return c.call('jobs.probe', { url: msg.url, options: { referer: await browser.tabUrl(Number(msg.tabId)) } });
      case 'media.download':
        if (!isHttpUrl(msg.url)) throw new Error('not an http(s) URL');
        return this.addJob(msg.url, { referrer: await browser.tabUrl(Number(msg.tabId)), quality: msg.quality || '' });
      case 'job.pause':
      case 'job.resume':
      case 'job.cancel':
        return c.call(`jobs.${verb.slice(4)}`, { ids: jobIds(msg) });
      case 'capture.set':
        return this.saveSettings({ ...this.settings, capture: { ...this.settings.capture, enabled: Boolean(msg.enabled) } });
      case 'pair.start':
        c.pair();
        return true;
      case 'settings.get':
        return { settings: this.settings, hasToken: Boolean(c.token), extensionId: browser.extensionId() };
      case 'settings.save':
        validateDaemonUrl(msg.settings?.daemonUrl); // say what is wrong instead of silently using the default
        return this.saveSettings(msg.settings);
      case 'token.set':
        return this.saveToken(msg.token);
      case 'connection.retry':
        if (c.state === STATE.UNAUTHORIZED) c.start();
        else c.ensure(); // a retry asked for: the automatic schedule stays as it is
        return true;
      default:
        throw new Error(`unknown message ${verb}`);
    }
  }

  async saveSettings(raw) {
    const settings = normalizeSettings(raw);
    await browser.storageSet('local', { settings });
    return settings;
  }

  async saveToken(raw) {
    const token = String(raw ?? '').trim();
    if (token === '') {
      await browser.storageRemove('local', 'token');
      return true;
    }
    if (!TOKEN_RE.test(token)) throw new Error('that does not look like an idm token (see `idm token`)');
    await browser.storageSet('local', { token });
    return true;
  }

  // --- the popup's live view -------------------------------------------------

  popupState(tabId) {
    const c = this.connection;
    return {
      connection: { state: c.state, error: c.error, code: c.code, url: this.settings.daemonUrl, retryAt: c.retryAt },
      capture: this.settings.capture.enabled,
      media: this.media[tabId] ?? [],
      jobs: this.jobs.latest(8),
      stats: this.jobs.stats,
    };
  }

  onPortOpened(port) {
    if (this.feed.opened(port)) this.connection.ensure();
  }

  onPortMessage(port, msg) {
    this.feed.message(port, msg);
  }

  onPortClosed(port) {
    this.feed.closed(port);
  }

  broadcast() {
    this.feed.changed();
  }
}
