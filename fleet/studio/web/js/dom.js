// Building the page from data: text always goes through textContent (never innerHTML), so names and
// messages from the server cannot inject markup.

/** h('a', {href: '#/x', class: 'c', onclick: fn}, 'text', child, [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    // through CSSOM: the page's CSP allows no style attributes
    else if (k === 'style') Object.assign(el.style, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** A table with a header row; `rows` are arrays of cells (text or nodes). */
export function table(headers, rows, attrs = {}) {
  return h(
    'table',
    attrs,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', {}, x)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length
        ? rows.map((r) =>
            h(
              'tr',
              {},
              r.map((c) => h('td', {}, c)),
            ),
          )
        : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'none')),
    ),
  );
}

/** "12 s ago" with the exact time in the tooltip. */
export function ago(iso) {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  const text =
    s < 60
      ? `${s} s ago`
      : s < 3600
        ? `${Math.round(s / 60)} min ago`
        : s < 86400
          ? `${Math.round(s / 3600)} h ago`
          : `${Math.round(s / 86400)} d ago`;
  return h('time', { datetime: iso, title: iso }, text);
}

/** A coloured state label: running, succeeded, failed, open... */
export const badge = (state) => h('span', { class: `badge ${state}` }, state.replace('_', ' '));

export const fmtMs = (x) =>
  x === undefined || x === null ? '—' : x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(1)} ms`;

export function fmtBytes(n) {
  if (n === undefined || n === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

/** `#/a/b?x=1` → { path: ['a', 'b'], params: {x: '1'} } */
export function parseHash(hash) {
  const [p, q] = hash.replace(/^#\/?/, '').split('?');
  return {
    path: p ? p.split('/').map(decodeURIComponent) : [],
    params: Object.fromEntries(new URLSearchParams(q ?? '')),
  };
}

export const link = (path, text, attrs = {}) =>
  h('a', { href: `#/${path.map(encodeURIComponent).join('/')}`, ...attrs }, text);
