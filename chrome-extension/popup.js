// The popup: connection state, the tab's media, the latest downloads with live
// progress. It holds no state of its own: the worker pushes it over a port.
// `popup.html?tab=N` shows tab N (for tests and for opening it in a tab).

import { displayName } from './lib/classify.js';
import { formatSpeed, jobSummary, progressFraction } from './lib/format.js';
import { send, watch } from './lib/pagelink.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const probed = new Map(); // media URL -> qualities offered by jobs.probe
let tabId = -1;

const STATE_TEXT = {
  idle: 'Stopped',
  unpaired: 'Not paired',
  connecting: 'Connecting…',
  pairing: 'Pairing…',
  connected: 'Connected',
  unauthorized: 'Token refused',
  offline: 'idmd not running',
};

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

function showError(err) {
  $('conn-error').textContent = String(err?.message ?? err);
  $('conn-error').hidden = false;
}

function renderConnection(conn) {
  const pill = $('conn');
  pill.dataset.state = conn.state;
  pill.textContent = STATE_TEXT[conn.state] ?? conn.state;
  pill.title = conn.url;
  $('conn-error').textContent = conn.error || '';
  $('conn-error').hidden = !conn.error;
  $('pairing').hidden = conn.state !== 'pairing';
  $('pair-code').textContent = conn.code || '';
  $('pair-code-cmd').textContent = conn.code || 'CODE';
  $('pair').hidden = !['unpaired', 'unauthorized'].includes(conn.state);
  $('retry').hidden = conn.state !== 'offline';
}

function mediaItem(item, connected) {
  const download = el('button', { type: 'button', className: 'download', textContent: 'Download', disabled: !connected });
  const probe = el('button', { type: 'button', className: 'probe', textContent: 'Qualities', disabled: !connected });
  const qualities = probed.get(item.url);
  const select = el('select', { className: 'quality', hidden: !qualities });
  for (const q of qualities ?? []) select.append(el('option', { value: q, textContent: q }));
  probe.hidden = Boolean(qualities);
  download.addEventListener('click', () => {
    download.disabled = true;
    send({ type: 'media.download', url: item.url, tabId, quality: select.value || '' })
      .then(() => { download.textContent = 'Added'; })
      .catch((err) => { download.disabled = false; showError(err); });
  });
  probe.addEventListener('click', () => {
    probe.disabled = true;
    send({ type: 'media.probe', url: item.url, tabId })
      .then((info) => {
        const list = (info?.qualities ?? []).map((q) => (typeof q === 'string' ? q : q?.quality ?? q?.label)).filter(Boolean);
        probed.set(item.url, list.length ? list : ['best']);
        refresh();
      })
      .catch((err) => { probe.disabled = false; showError(err); });
  });
  const row = el('div', { className: 'row' }, [
    el('span', { className: 'name', textContent: item.name || displayName(item.url), title: item.url }),
    el('span', { className: 'kind', textContent: item.kind }),
    select, probe, download,
  ]);
  const li = el('li', { className: 'media-item' }, [row]);
  li.dataset.url = item.url;
  return li;
}

function renderMedia(media, connected) {
  const list = $('media-list');
  const key = JSON.stringify([media, connected, [...probed]]);
  if (list.dataset.key === key) return; // keep buttons under the pointer stable
  list.dataset.key = key;
  list.replaceChildren(...media.map((item) => mediaItem(item, connected)));
  $('media-empty').hidden = media.length > 0;
}

function jobAction(action, id) {
  send({ type: `job.${action}`, id }).catch(showError);
}

function jobItem(id) {
  const li = el('li', { className: 'job' });
  li.dataset.id = id;
  const buttons = ['pause', 'resume', 'cancel'].map((action) => {
    const b = el('button', { type: 'button', className: action, textContent: action[0].toUpperCase() + action.slice(1) });
    b.addEventListener('click', () => jobAction(action, id));
    return b;
  });
  li.append(
    el('div', { className: 'row' }, [el('span', { className: 'name' }), el('span', { className: 'status' }), ...buttons]),
    el('div', { className: 'bar' }, [el('div', { className: 'fill' })]),
    el('div', { className: 'summary' }),
  );
  return li;
}

// Rows are kept per job id and updated in place, so a button is never replaced under the pointer.
function renderJobs(jobs, connected) {
  const list = $('job-list');
  const rows = new Map([...list.children].map((li) => [li.dataset.id, li]));
  const ordered = jobs.map((job) => {
    const li = rows.get(job.id) ?? jobItem(job.id);
    li.dataset.status = job.status;
    li.querySelector('.name').textContent = job.filename || displayName(job.url);
    li.querySelector('.name').title = job.url;
    li.querySelector('.status').textContent = job.status;
    const fraction = progressFraction(job);
    li.querySelector('.bar').classList.toggle('unknown', fraction === null);
    li.querySelector('.fill').style.width = `${Math.round((fraction ?? 0) * 100)}%`;
    li.querySelector('.summary').textContent = jobSummary(job);
    li.querySelector('.pause').hidden = !connected || !['downloading', 'queued'].includes(job.status);
    li.querySelector('.resume').hidden = !connected || job.status !== 'paused';
    li.querySelector('.cancel').hidden = !connected || ['completed', 'failed', 'cancelled'].includes(job.status);
    return li;
  });
  list.replaceChildren(...ordered);
  $('jobs-empty').hidden = jobs.length > 0;
}

let last = null;
function render(state) {
  last = state;
  const connected = state.connection.state === 'connected';
  renderConnection(state.connection);
  $('capture').checked = state.capture;
  renderMedia(state.media, connected);
  renderJobs(state.jobs, connected);
  const s = state.stats;
  const speed = formatSpeed(Number(s?.speed));
  $('stats').textContent = connected && s ? `${s.active ?? 0} active · ${s.queued ?? 0} queued${speed ? ` · ${speed}` : ''}` : '';
}

function refresh() {
  if (last) render(last);
}

async function main() {
  if (params.has('tab')) tabId = Number(params.get('tab'));
  else tabId = (await chrome.tabs.query({ active: true, currentWindow: true }))[0]?.id ?? -1;
  $('pair').addEventListener('click', () => send({ type: 'pair.start' }).catch(showError));
  $('retry').addEventListener('click', () => send({ type: 'connection.retry' }).catch(showError));
  $('capture').addEventListener('change', (e) => send({ type: 'capture.set', enabled: e.target.checked }).catch(showError));
  $('options').addEventListener('click', (e) => {
    e.preventDefault();
    chrome.runtime.openOptionsPage();
  });
  render(await send({ type: 'state.get', tabId }));
  watch(tabId, render);
}

main().catch(showError);
