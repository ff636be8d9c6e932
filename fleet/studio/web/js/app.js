// Studio's shell: sign-in, navigation by URL hash, and one live view at a time that refreshes itself.
import { ApiError, api, onUnauthorized, token } from './api.js';
import { h, parseHash } from './dom.js';
import * as alerts from './views/alerts.js';
import * as deployments from './views/deployments.js';
import * as devices from './views/devices.js';
import * as models from './views/models.js';
import * as monitoring from './views/monitoring.js';
import * as overview from './views/overview.js';

const $ = (id) => document.getElementById(id);
const views = { '': overview, models, deployments, devices, monitoring, alerts };

/** The shown view: its refresh timer and a generation number, so a late answer for an old view is dropped. */
let current = { timer: undefined, generation: 0 };

function showLogin(message = '') {
  stopView();
  $('view').replaceChildren();
  $('nav').hidden = true;
  $('logout').hidden = true;
  $('who').textContent = '';
  $('login').hidden = false;
  $('login-error').textContent = message;
  $('token').focus();
}

async function signIn(event) {
  event.preventDefault();
  const secret = $('token').value.trim();
  $('login-error').textContent = '';
  try {
    // any read-scoped fleet route proves the token; a device credential or unknown token is refused
    await api('/fleet/v1/groups', { secret });
  } catch (err) {
    $('login-error').textContent =
      err instanceof ApiError && err.status === 401
        ? `Token refused: ${err.message}.`
        : err instanceof ApiError && err.status === 403
          ? `This token cannot read the fleet: ${err.message}.`
          : `Sign-in failed: ${err.message}`;
    return;
  }
  token.set(secret);
  $('token').value = '';
  start();
}

function stopView() {
  clearInterval(current.timer);
  current = { timer: undefined, generation: current.generation + 1 };
}

function setStatus(message) {
  $('status').textContent = message;
}

async function route() {
  if (!token.get()) return showLogin();
  stopView();
  const generation = current.generation;
  const { path, params } = parseHash(location.hash);
  const view = views[path[0] ?? ''] ?? overview;
  for (const a of $('nav').querySelectorAll('a')) {
    a.classList.toggle('active', a.getAttribute('href') === `#/${path[0] ?? ''}`);
  }
  const root = h('div', { class: 'view' });
  $('view').replaceChildren(root);
  setStatus('');
  const alive = () => generation === current.generation;
  try {
    const live = await view.render(root, {
      path: path.slice(1),
      params,
      alive,
      go: (hash) => (location.hash = hash),
    });
    if (live && alive()) {
      current.timer = setInterval(async () => {
        try {
          await live.refresh();
          if (alive()) setStatus('');
        } catch (err) {
          if (alive()) setStatus(`Refresh failed: ${err.message}`);
        }
      }, live.everyMs ?? 2000);
    }
  } catch (err) {
    if (alive()) root.replaceChildren(h('p', { class: 'error' }, err.message));
  }
}

function start() {
  $('login').hidden = true;
  $('nav').hidden = false;
  $('logout').hidden = false;
  route();
}

onUnauthorized((message) => {
  token.clear();
  showLogin(`Signed out: the server refused the token (${message}).`);
});

$('login-form').addEventListener('submit', signIn);
$('logout').addEventListener('click', () => {
  token.clear();
  showLogin();
});
window.addEventListener('hashchange', () => route());
if (token.get()) start();
else showLogin();
