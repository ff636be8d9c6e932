// Latency (p50/p95/p99), runs and error rate, and input drift (PSI per input channel) over time for
// a model version, in one group or across groups, from the fleet's telemetry.
import { api, query } from '../api.js';
import { lineChart } from '../charts.js';
import { h, table } from '../dom.js';

const RANGES = { '15 min': 15 * 60_000, '1 h': 3600_000, '6 h': 6 * 3600_000, '24 h': 24 * 3600_000 };
/** PSI alert threshold (DRIFT_PSI_THRESHOLD in fleet/telemetry/types.ts), drawn on the drift chart. */
const PSI_THRESHOLD = 0.2;

export async function render(root, ctx) {
  const p = ctx.params;
  const range = RANGES[p.range] ? p.range : '1 h';
  const since = Date.now() - 24 * 3600_000;
  const versions = await api(`/fleet/v1/monitoring/versions${query({ since })}`);
  root.append(h('h1', {}, 'Monitoring'));
  if (!versions.length && !p.model) {
    root.append(
      h(
        'p',
        { class: 'muted' },
        'No telemetry in the last 24 hours: devices send it while they run models (agent.infer).',
      ),
    );
    return;
  }
  // a model version across groups, or in one group; the first with telemetry by default
  const choices = [];
  for (const v of versions) {
    const all = `${v.model}@${v.version}`;
    if (!choices.some((c) => c.key === all))
      choices.push({ key: all, model: v.model, version: v.version, group: '' });
    choices.push({ key: `${all} in ${v.group}`, model: v.model, version: v.version, group: v.group });
  }
  const chosen =
    choices.find(
      (c) => c.model === p.model && String(c.version) === p.version && c.group === (p.group ?? ''),
    ) ??
    (p.model
      ? {
          key: `${p.model}@${p.version}${p.group ? ` in ${p.group}` : ''}`,
          model: p.model,
          version: Number(p.version),
          group: p.group ?? '',
        }
      : choices[0]);
  if (!choices.includes(chosen)) choices.unshift(chosen);
  const go = (c, r) =>
    ctx.go(`#/monitoring${query({ model: c.model, version: c.version, group: c.group, range: r })}`);

  const picker = h(
    'select',
    { name: 'series', onchange: (e) => go(choices[Number(e.target.value)], range) },
    choices.map((c, i) =>
      h('option', { value: i, selected: c === chosen }, c.group ? c.key : `${c.key} (all groups)`),
    ),
  );
  const ranges = h(
    'select',
    { name: 'range', onchange: (e) => go(chosen, e.target.value) },
    Object.keys(RANGES).map((r) => h('option', { value: r, selected: r === range }, `last ${r}`)),
  );
  const latencyEl = h('div', { class: 'chart', id: 'latency-chart' });
  const runsEl = h('div', { class: 'chart', id: 'runs-chart' });
  const driftEl = h('div', { class: 'chart', id: 'drift-chart' });
  const driftNow = h('div');
  root.append(
    h('div', { class: 'filters' }, picker, ranges),
    latencyEl,
    runsEl,
    h('h2', {}, 'Input drift'),
    driftEl,
    driftNow,
  );

  const latency = lineChart(latencyEl, { title: 'Latency', yLabel: 'ms' });
  const runs = lineChart(runsEl, { title: 'Runs and error rate per window', yLabel: 'runs / errors %' });
  const drift = lineChart(driftEl, {
    title: 'PSI per input channel',
    yLabel: 'PSI',
    thresholds: [{ label: `alert at ${PSI_THRESHOLD}`, value: PSI_THRESHOLD }],
  });
  const path = `/fleet/v1/monitoring/versions/${encodeURIComponent(chosen.model)}/${chosen.version}`;

  const draw = async () => {
    const until = Date.now();
    const span = RANGES[range];
    // about 120 windows whatever the range, at least 5 s each
    const step = Math.max(5000, Math.round(span / 120 / 1000) * 1000);
    const [series, current] = await Promise.all([
      api(`${path}${query({ group: chosen.group, since: until - span, until, step })}`),
      api(
        `/fleet/v1/monitoring/drift${query({ model: chosen.model, version: chosen.version, group: chosen.group })}`,
      ),
    ]);
    if (!ctx.alive()) return;
    const w = series.windows;
    const times = w.map((x) => x.end);
    latency(times, [
      { label: 'p50', values: w.map((x) => x.latency.p50) },
      { label: 'p95', values: w.map((x) => x.latency.p95) },
      { label: 'p99', values: w.map((x) => x.latency.p99) },
    ]);
    runs(times, [
      { label: 'runs', values: w.map((x) => (x.runs ? x.runs : null)) },
      { label: 'error rate %', values: w.map((x) => (x.runs ? 100 * x.errorRate : null)) },
    ]);
    const channels = new Map();
    w.forEach((x, i) => {
      for (const d of x.drift) {
        const key = `${d.input}[${d.channel}]`;
        if (!channels.has(key))
          channels.set(
            key,
            times.map(() => null),
          );
        channels.get(key)[i] = d.psi;
      }
    });
    drift(
      times,
      [...channels].map(([label, values]) => ({ label, values })),
    );
    driftNow.replaceChildren(
      h(
        'p',
        {},
        current.baseline
          ? `Now (since ${new Date(current.since).toLocaleTimeString()}), against the ${current.baseline.source === 'data' ? 'uploaded data' : 'self-test sample'} baseline:`
          : 'This version has no baseline, so no drift figures.',
      ),
      table(
        ['input', 'channel', 'values', 'mean', 'baseline mean', 'PSI', 'p-value', ''],
        current.channels.map((c) => [
          c.input,
          String(c.channel),
          String(c.count),
          c.mean === null ? '—' : c.mean.toPrecision(4),
          c.baselineMean.toPrecision(4),
          c.psi === null ? '— (too few values)' : c.psi.toFixed(3),
          c.pValue === null ? '—' : c.pValue.toExponential(2),
          c.drifted
            ? h('span', { class: 'badge failed' }, 'drifted')
            : h('span', { class: 'badge ok' }, 'stable'),
        ]),
        { class: 'drift' },
      ),
    );
  };
  await draw();
  return { refresh: draw, everyMs: 5000 };
}
