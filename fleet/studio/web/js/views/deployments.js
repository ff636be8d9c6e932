// Deployments: the list with a form to start one, and one deployment's waves, gates and events with
// pause / resume / abort. Live deployments refresh every second.
import { api } from '../api.js';
import { ago, badge, h, link, table } from '../dom.js';

const LIVE = new Set(['running', 'paused']);

export async function render(root, ctx) {
  if (ctx.path[0]) return detail(root, ctx, Number(ctx.path[0]));
  const [groups, models] = await Promise.all([api('/fleet/v1/groups'), api('/registry/v1/models')]);
  const list = h('div');
  root.append(
    h('h1', {}, 'Deployments'),
    startForm(groups, models, ctx),
    h('h2', {}, 'All deployments'),
    list,
  );
  const draw = async () => {
    const all = await api('/fleet/v1/deployments');
    if (!ctx.alive()) return;
    list.replaceChildren(
      table(
        ['id', 'group', 'version', 'strategy', 'state', 'wave', 'since', 'by'],
        [...all]
          .reverse()
          .map((d) => [
            link(['deployments', String(d.id)], `#${d.id}`),
            d.group,
            `${d.model}@${d.version}`,
            strategyText(d.strategy),
            badge(d.state),
            `${d.wave + 1} of ${d.waves.length}`,
            ago(d.stateSince),
            d.createdBy,
          ]),
        { class: 'deployments' },
      ),
    );
  };
  await draw();
  return { refresh: draw, everyMs: 2000 };
}

function strategyText(s) {
  if (s.kind === 'canary')
    return s.devices !== undefined ? `canary ${s.devices} devices` : `canary ${s.percent}%`;
  if (s.kind === 'waves') return `waves ${s.percents.join(', ')}%`;
  return s.kind;
}

/** The form that starts a deployment (a write token): group, model@ref, strategy and gate settings. */
function startForm(groups, models, ctx) {
  const error = h('p', { class: 'error', role: 'alert' });
  const field = (label, input, hint) => h('label', {}, label, input, hint ? h('small', {}, hint) : null);
  const group = h(
    'select',
    { name: 'group', required: true },
    groups.map((g) => h('option', { value: g.name }, `${g.name} (${g.devices} devices)`)),
  );
  const model = h(
    'select',
    { name: 'model', required: true },
    models.map((m) => h('option', { value: m.name }, m.name)),
  );
  const ref = h('input', { name: 'ref', placeholder: 'latest', size: 8 });
  const kind = h(
    'select',
    { name: 'strategy' },
    h('option', { value: 'canary-devices' }, 'canary: N devices, then all'),
    h('option', { value: 'canary-percent' }, 'canary: P%, then all'),
    h('option', { value: 'waves' }, 'waves (cumulative %)'),
    h('option', { value: 'all-at-once' }, 'all at once'),
  );
  const size = h('input', {
    name: 'size',
    value: '1',
    size: 12,
    title: 'canary devices or percent, or waves like 5,25,50,100',
  });
  const soak = h('input', { name: 'soak', type: 'number', min: 0, step: 'any', placeholder: '300', size: 6 });
  const timeout = h('input', {
    name: 'timeout',
    type: 'number',
    min: 0,
    step: 'any',
    placeholder: '3600',
    size: 6,
  });
  const failure = h('input', {
    name: 'maxFailureRate',
    type: 'number',
    min: 0,
    max: 0.99,
    step: 'any',
    placeholder: '0',
    size: 6,
  });
  const submit = h('button', { type: 'submit' }, 'Start deployment');

  const onsubmit = async (event) => {
    event.preventDefault();
    error.textContent = '';
    let strategy;
    const n = Number(size.value);
    if (kind.value === 'canary-devices') strategy = { kind: 'canary', devices: n };
    else if (kind.value === 'canary-percent') strategy = { kind: 'canary', percent: n };
    else if (kind.value === 'waves')
      strategy = { kind: 'waves', percents: size.value.split(',').map((x) => Number(x.trim())) };
    else strategy = { kind: 'all-at-once' };
    const body = {
      group: group.value,
      model: ref.value.trim() ? `${model.value}@${ref.value.trim()}` : model.value,
      strategy,
    };
    if (soak.value !== '') body.soakMs = Math.round(Number(soak.value) * 1000);
    if (timeout.value !== '') body.waveTimeoutMs = Math.round(Number(timeout.value) * 1000);
    if (failure.value !== '') body.maxFailureRate = Number(failure.value);
    submit.disabled = true;
    try {
      const d = await api('/fleet/v1/deployments', { method: 'POST', body });
      ctx.go(`#/deployments/${d.id}`);
    } catch (err) {
      error.textContent = `Not started: ${err.message}`;
    } finally {
      submit.disabled = false;
    }
  };
  return h(
    'form',
    { class: 'start', id: 'start-deployment', onsubmit },
    h('h2', {}, 'Start a deployment'),
    h(
      'div',
      { class: 'fields' },
      field('Group', group),
      field('Model', model),
      field('Version', ref, 'number, alias, or empty for latest'),
      field('Strategy', kind),
      field('Size', size, 'devices, %, or 5,25,50,100'),
      field('Soak (s)', soak, 'healthy time per wave'),
      field('Wave timeout (s)', timeout),
      field('Max failure rate', failure),
    ),
    submit,
    error,
  );
}

async function detail(root, ctx, id) {
  const head = h('div');
  const waves = h('div');
  const events = h('div');
  const error = h('p', { class: 'error', role: 'alert' });
  root.append(
    h('p', {}, link(['deployments'], '← deployments')),
    head,
    error,
    h('h2', {}, 'Waves'),
    waves,
    h('h2', {}, 'Events'),
    events,
  );

  const control = (action) => async () => {
    error.textContent = '';
    try {
      await api(`/fleet/v1/deployments/${id}/${action}`, { method: 'POST' });
      await draw();
    } catch (err) {
      error.textContent = `Could not ${action}: ${err.message}`;
    }
  };
  const draw = async () => {
    const d = await api(`/fleet/v1/deployments/${id}`);
    if (!ctx.alive()) return;
    head.replaceChildren(
      h('h1', {}, `Deployment #${d.id}: ${d.model}@${d.version} to ${d.group} `, badge(d.state)),
      h(
        'p',
        { class: 'summary' },
        `${strategyText(d.strategy)}; wave ${d.wave + 1} of ${d.waves.length}; ${d.health.installed}/${d.health.released} released devices installed, ${d.health.failed} failed (limit ${d.maxFailureRate}); soak ${d.soakMs / 1000} s; by ${d.createdBy}`,
        d.previousVersion ? `; previous version ${d.previousVersion}` : '',
        d.reason ? h('br') : null,
        d.reason ? h('span', { class: 'reason' }, d.reason) : null,
      ),
      h(
        'div',
        { class: 'controls' },
        h('button', { type: 'button', onclick: control('pause'), disabled: d.state !== 'running' }, 'Pause'),
        h('button', { type: 'button', onclick: control('resume'), disabled: d.state !== 'paused' }, 'Resume'),
        h(
          'button',
          { type: 'button', class: 'danger', onclick: control('abort'), disabled: !LIVE.has(d.state) },
          'Abort',
        ),
      ),
    );
    waves.replaceChildren(
      h(
        'ol',
        { class: 'waves' },
        d.progress.map((w) =>
          h(
            'li',
            { class: `wave ${w.released ? 'released' : 'waiting'}`, dataset: { wave: w.wave } },
            h(
              'span',
              { class: 'label' },
              `Wave ${w.wave + 1}`,
              h(
                'small',
                {},
                'count' in w.target ? ` up to ${w.target.count} devices` : ` up to ${w.target.percent}%`,
              ),
            ),
            bar(w),
            h(
              'span',
              { class: 'counts' },
              `${w.installed} installed, ${w.failed} failed, ${w.pending} pending of ${w.devices}`,
            ),
            w.gate
              ? h(
                  'span',
                  { class: `gate ${w.gate.passed ? 'passed' : 'failed'}`, title: w.gate.detail },
                  w.gate.passed ? 'gate passed' : 'gate failed',
                  ' ',
                  ago(w.gate.at),
                )
              : h('span', { class: 'gate' }, w.released ? 'gate pending' : 'not released'),
          ),
        ),
      ),
    );
    events.replaceChildren(
      table(
        ['at', 'wave', 'event', 'detail'],
        [...d.events].reverse().map((e) => [ago(e.at), String(e.wave + 1), e.kind, e.detail]),
        { class: 'events' },
      ),
    );
    return d;
  };
  await draw();
  return { refresh: draw, everyMs: 1000 };
}

/** A stacked bar of a wave's devices: installed, failed, pending. */
function bar(w) {
  const pct = (n) => (w.devices ? `${(100 * n) / w.devices}%` : '0%');
  return h(
    'span',
    {
      class: 'bar',
      role: 'img',
      'aria-label': `${w.installed} installed, ${w.failed} failed of ${w.devices}`,
    },
    h('span', { class: 'installed', style: { width: pct(w.installed) } }),
    h('span', { class: 'failed', style: { width: pct(w.failed) } }),
  );
}
