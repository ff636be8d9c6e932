// Devices with their health and current version, one page at a time (the server filters and pages,
// so hundreds of devices cost one request and a 50-row table).
import { api, query } from '../api.js';
import { ago, badge, h, table } from '../dom.js';

const PAGE = 50;

export async function render(root, ctx) {
  const p = ctx.params;
  const groups = await api('/fleet/v1/groups');
  const state = {
    group: p.group ?? '',
    health: p.health ?? '',
    search: p.search ?? '',
    offset: Number(p.offset ?? 0),
  };
  // the URL holds the filters, so a view can be bookmarked and the back button works
  // a new filter starts at the first page
  const setFilter = (k, v) =>
    ctx.go(`#/devices${query({ ...state, [k]: v, offset: k === 'offset' && v > 0 ? v : undefined })}`);

  const group = h(
    'select',
    { name: 'group', onchange: (e) => setFilter('group', e.target.value) },
    h('option', { value: '' }, 'all groups'),
    groups.map((g) => h('option', { value: g.name, selected: g.name === state.group }, g.name)),
  );
  const health = h(
    'select',
    { name: 'health', onchange: (e) => setFilter('health', e.target.value) },
    ['', 'ok', 'failed', 'pending'].map((x) =>
      h('option', { value: x, selected: x === state.health }, x || 'any health'),
    ),
  );
  const search = h('input', {
    name: 'search',
    type: 'search',
    placeholder: 'name or id',
    value: state.search,
    onchange: (e) => setFilter('search', e.target.value),
  });
  const summary = h('div', { class: 'summary' });
  const list = h('div');
  const pager = h('div', { class: 'pager' });
  root.append(
    h('h1', {}, 'Devices'),
    h('div', { class: 'filters' }, group, health, search),
    summary,
    list,
    pager,
  );

  const draw = async () => {
    const page = await api(`/fleet/v1/device-status${query({ ...state, limit: PAGE })}`);
    if (!ctx.alive()) return;
    const s = page.summary;
    summary.replaceChildren(
      h('span', {}, `${s.devices} devices: `),
      h('span', { class: 'ok' }, `${s.health.ok} ok`),
      ', ',
      h('span', { class: 'failed' }, `${s.health.failed} failed`),
      ', ',
      h('span', {}, `${s.health.pending} not reported`),
      '. Versions: ',
      s.versions.map((v) => `${v.model}@${v.version} × ${v.devices}`).join(', ') || 'none installed',
    );
    list.replaceChildren(
      table(
        ['device', 'group', 'health', 'current version', 'last report', 'target', 'runtime', 'last seen'],
        page.devices.map((d) => [
          h('span', { title: d.id }, d.name),
          d.group,
          badge(d.health),
          d.current ? `${d.current.model}@${d.current.version}` : '—',
          d.lastReport
            ? `${d.lastReport.outcome}${d.lastReport.version !== undefined ? ` ${d.lastReport.model}@${d.lastReport.version}` : ''}${d.lastReport.reason ? `: ${d.lastReport.reason}` : ''}`
            : '—',
          `${d.target}${d.features.length ? ` (${d.features.join(', ')})` : ''}`,
          d.runtimeVersion,
          ago(d.lastSeenAt),
        ]),
        { class: 'devices' },
      ),
    );
    const last = Math.min(page.offset + page.devices.length, page.total);
    pager.replaceChildren(
      h(
        'button',
        {
          type: 'button',
          disabled: page.offset === 0,
          onclick: () => setFilter('offset', Math.max(0, page.offset - PAGE)),
        },
        '← previous',
      ),
      h('span', {}, page.total ? ` ${page.offset + 1}–${last} of ${page.total} ` : ' no devices match '),
      h(
        'button',
        {
          type: 'button',
          disabled: last >= page.total,
          onclick: () => setFilter('offset', page.offset + PAGE),
        },
        'next →',
      ),
    );
  };
  await draw();
  return { refresh: draw, everyMs: 3000 };
}
