// The options page: daemon address, token or pairing, capture rules, sites
// left alone. Everything is validated and stored by the service worker.

import { send, watch } from './lib/pagelink.js';

const $ = (id) => document.getElementById(id);
const MIB = 1024 * 1024;

function status(text, isError = false) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

function fill({ settings, hasToken }) {
  $('daemon-url').value = settings.daemonUrl;
  $('capture-enabled').checked = settings.capture.enabled;
  $('extensions').value = settings.capture.extensions.join(', ');
  $('min-size').value = String(Math.round(settings.capture.minSize / MIB));
  $('excluded-sites').value = settings.excludedSites.join('\n');
  $('token-state').textContent = hasToken ? 'A token is saved.' : 'No token yet.';
}

function showConnection(conn) {
  $('conn-state').textContent = conn.state;
  $('conn-state').dataset.state = conn.state;
  // Why pairing ended (denied, expired) or why idmd cannot be reached.
  $('conn-error').textContent = conn.error || '';
  $('pairing').hidden = conn.state !== 'pairing';
  $('pair-code').textContent = conn.code || '';
  $('pair-code-cmd').textContent = conn.code || 'CODE';
}

async function reload() {
  fill(await send({ type: 'settings.get' }));
}

async function save() {
  const settings = {
    daemonUrl: $('daemon-url').value,
    capture: {
      enabled: $('capture-enabled').checked,
      extensions: $('extensions').value.split(/[\s,;]+/),
      minSize: Math.max(0, Number($('min-size').value) || 0) * MIB,
    },
    excludedSites: $('excluded-sites').value.split(/[\s,;]+/),
  };
  try {
    await send({ type: 'settings.save', settings });
    await reload();
    status('Saved.');
  } catch (err) {
    status(err.message, true);
  }
}

async function saveToken(token) {
  try {
    await send({ type: 'token.set', token });
    $('token').value = '';
    await reload();
    status(token ? 'Token saved.' : 'Token forgotten.');
  } catch (err) {
    status(err.message, true);
  }
}

function onState(state) {
  showConnection(state.connection);
  // Only the token line: the form may hold edits not saved yet.
  send({ type: 'settings.get' })
    .then(({ hasToken }) => { $('token-state').textContent = hasToken ? 'A token is saved.' : 'No token yet.'; })
    .catch(() => undefined);
}

$('save').addEventListener('click', save);
$('save-token').addEventListener('click', () => saveToken($('token').value));
$('forget-token').addEventListener('click', () => saveToken(''));
$('pair').addEventListener('click', () => send({ type: 'pair.start' }).catch((err) => status(err.message, true)));
reload().catch((err) => status(err.message, true));
watch(-1, onState);
