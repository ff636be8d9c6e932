// Models, their versions, and a version's compiled variants with benchmark results per hardware.
import { api } from '../api.js';
import { ago, badge, fmtBytes, fmtMs, h, link, table } from '../dom.js';

export async function render(root, ctx) {
  const [name, ref] = ctx.path;
  if (name && ref) return version(root, name, ref);
  if (name) return model(root, name);
  const list = await api('/registry/v1/models');
  root.append(
    h('h1', {}, 'Models'),
    table(
      ['model', 'latest version', 'aliases', 'description', 'created'],
      list.map((m) => [
        link(['models', m.name], m.name),
        m.latestVersion ? link(['models', m.name, String(m.latestVersion)], String(m.latestVersion)) : '—',
        Object.entries(m.aliases ?? {})
          .map(([a, v]) => `${a} → ${v}`)
          .join(', ') || '—',
        m.description ?? '',
        ago(m.createdAt),
      ]),
      { class: 'models' },
    ),
  );
}

async function model(root, name) {
  const { model: m, versions } = await api(`/registry/v1/models/${encodeURIComponent(name)}`);
  root.append(
    h('p', {}, link(['models'], '← models')),
    h('h1', {}, m.name),
    m.description ? h('p', {}, m.description) : null,
    table(
      ['version', 'aliases', 'approval', 'inputs', 'metrics', 'source', 'created'],
      [...versions].reverse().map((v) => [
        link(['models', name, String(v.version)], String(v.version)),
        (v.aliases ?? []).join(', ') || '—',
        v.approval ? badge(v.approval.status) : '—',
        (v.inputs ?? []).map((t) => `${t.name}: ${t.dtype}[${(t.shape ?? []).join('×')}]`).join(', '),
        Object.entries(v.metrics ?? {})
          .map(([k, x]) => `${k}=${x}`)
          .join(', ') || '—',
        `${v.source.name} (${fmtBytes(v.source.bytes)})`,
        ago(v.createdAt),
      ]),
      { class: 'versions' },
    ),
  );
}

async function version(root, name, ref) {
  const r = await api(`/registry/v1/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(ref)}`);
  const v = r.version;
  const byVariant = new Map(r.variants.map((x) => [x.id, x]));
  root.append(
    h('p', {}, link(['models', name], `← ${name}`)),
    h('h1', {}, `${name}@${v.version}`),
    h(
      'p',
      {},
      `Source ${v.source.name}, ${fmtBytes(v.source.bytes)}, sha256 ${v.source.sha256.slice(0, 12)}…; created by ${v.createdBy} `,
      ago(v.createdAt),
      v.approval ? [' · ', badge(v.approval.status)] : null,
    ),
    h('h2', {}, 'Compiled variants'),
    table(
      ['id', 'target', 'features', 'precision', 'artifact', 'signed', 'compiler', 'created'],
      r.variants.map((x) => [
        String(x.id),
        x.target,
        (x.features ?? []).join(', ') || '—',
        x.precision ?? '—',
        fmtBytes(x.artifact?.bytes),
        (x.signatures ?? []).length ? `yes (${x.signatures.map((s) => s.keyId).join(', ')})` : 'no',
        x.compilerVersion ?? '—',
        ago(x.createdAt),
      ]),
      { class: 'variants' },
    ),
    h('h2', {}, 'Benchmarks per hardware'),
    table(
      ['hardware', 'variant', 'median', 'p90', 'throughput', 'peak memory', 'measured'],
      r.benchmarks.map((b) => {
        const x = byVariant.get(b.variantId);
        return [
          `${b.hardware} (${b.hardwareId})`,
          x ? `${x.id} ${x.target}` : String(b.variantId),
          fmtMs(b.latencyMedianMs),
          fmtMs(b.latencyP90Ms),
          b.throughput !== undefined ? `${b.throughput.toFixed(1)}/s` : '—',
          fmtBytes(b.peakMemoryBytes),
          ago(b.measuredAt),
        ];
      }),
      { class: 'benchmarks' },
    ),
    h(
      'p',
      {},
      link(['monitoring'], `Latency and drift of ${name}@${v.version} in the fleet →`, {
        href: `#/monitoring?model=${encodeURIComponent(name)}&version=${v.version}`,
      }),
    ),
  );
}
