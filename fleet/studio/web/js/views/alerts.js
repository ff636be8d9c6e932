// Alerts raised by the monitor (drift, latency and error-rate regressions): list and acknowledge.
import { api, query } from '../api.js';
import { ago, badge, h, table } from '../dom.js';

export async function render(root, ctx) {
  const p = ctx.params;
  const state = ['open', 'acked', 'all'].includes(p.state) ? p.state : 'open';
  const groups = await api('/fleet/v1/groups');
  const go = (k, v) => ctx.go(`#/alerts${query({ state, group: p.group, [k]: v })}`);
  const error = h('p', { class: 'error', role: 'alert' });
  const list = h('div');
  root.append(
    h('h1', {}, 'Alerts'),
    h(
      'div',
      { class: 'filters' },
      h(
        'select',
        { name: 'state', onchange: (e) => go('state', e.target.value) },
        ['open', 'acked', 'all'].map((s) => h('option', { value: s, selected: s === state }, s)),
      ),
      h(
        'select',
        { name: 'group', onchange: (e) => go('group', e.target.value) },
        h('option', { value: '' }, 'all groups'),
        groups.map((g) => h('option', { value: g.name, selected: g.name === p.group }, g.name)),
      ),
    ),
    error,
    list,
  );
  const ack = (id) => async () => {
    error.textContent = '';
    try {
      await api(`/fleet/v1/alerts/${id}/ack`, { method: 'POST' });
      await draw();
    } catch (err) {
      error.textContent = `Could not acknowledge alert ${id}: ${err.message}`;
    }
  };
  const draw = async () => {
    const alerts = await api(`/fleet/v1/alerts${query({ state, group: p.group })}`);
    if (!ctx.alive()) return;
    list.replaceChildren(
      table(
        ['raised', 'kind', 'group', 'version', 'input', 'value', 'threshold', 'message', 'state', ''],
        alerts.map((a) => [
          ago(a.createdAt),
          a.kind.replaceAll('_', ' '),
          a.group,
          h(
            'a',
            { href: `#/monitoring${query({ model: a.model, version: a.version, group: a.group })}` },
            `${a.model}@${a.version}`,
          ),
          a.input !== undefined ? `${a.input}[${a.channel ?? 0}]` : '—',
          a.value.toPrecision(3),
          String(a.threshold),
          a.message,
          a.state === 'acked'
            ? h('span', {}, badge('acked'), ` by ${a.ackedBy} `, ago(a.ackedAt))
            : badge('open'),
          a.state === 'open'
            ? h('button', { type: 'button', onclick: ack(a.id), dataset: { alert: a.id } }, 'Acknowledge')
            : '',
        ]),
        { class: 'alerts' },
      ),
    );
  };
  await draw();
  return { refresh: draw, everyMs: 3000 };
}
