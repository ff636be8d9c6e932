// The fleet at a glance: each group, the versions its devices run, its latest deployment and open alerts.
import { api } from '../api.js';
import { ago, badge, h, link, table } from '../dom.js';

export async function render(root, ctx) {
  const body = h('div');
  root.append(h('h1', {}, 'Fleet overview'), body);
  const draw = async () => {
    const [o, alerts] = await Promise.all([api('/fleet/v1/overview'), api('/fleet/v1/alerts?state=open')]);
    if (!ctx.alive()) return;
    const open = (group) => alerts.filter((a) => a.group === group).length;
    const devices = o.groups.reduce((s, g) => s + g.devices, 0);
    body.replaceChildren(
      h(
        'p',
        {},
        `${o.groups.length} groups, ${devices} devices, `,
        h('a', { href: '#/alerts' }, `${alerts.length} open alerts`),
        '.',
      ),
      table(
        [
          'group',
          'devices',
          'versions running',
          'latest deployment',
          'state',
          'released',
          'since',
          'open alerts',
        ],
        o.groups.map((g) => {
          const d = g.deployment;
          return [
            link(['devices'], g.name, { href: `#/devices?group=${encodeURIComponent(g.name)}` }),
            String(g.devices),
            g.versions.map((v) => `${v.model}@${v.version} × ${v.devices}`).join(', ') || '—',
            d ? link(['deployments', String(d.id)], `#${d.id} ${d.model}@${d.version}`) : '—',
            d ? badge(d.state) : '—',
            d ? `${d.released}/${g.devices} (wave ${d.wave + 1} of ${d.waves.length})` : '—',
            d ? ago(d.stateSince) : '—',
            open(g.name)
              ? h(
                  'a',
                  { href: `#/alerts?group=${encodeURIComponent(g.name)}`, class: 'alerting' },
                  String(open(g.name)),
                )
              : '0',
          ];
        }),
        { class: 'groups' },
      ),
    );
  };
  await draw();
  return { refresh: draw, everyMs: 3000 };
}
