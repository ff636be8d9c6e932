/**
 * Studio in headless Debian chromium against a real fleet server with in-process agents in two
 * groups: signing in (a bad token refused, a good one accepted), starting a canary deployment
 * through the form and watching the page follow it through its waves to success, the devices it
 * updated, then a drift alert for the group whose inputs were shifted (and none for the other),
 * acknowledged on the page, and the latency and drift charts. Saves test-artifacts/studio.png (the
 * CI artifact) and one screenshot per view. Skipped with a message without /usr/bin/chromium.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../fleet/agent/agent.js';
import { CHROMIUM, hasChromium, launchChromium } from '../../helpers/chromium.js';
import { PROJECT_ROOT } from '../../helpers/paths.js';
import { startAgents } from '../agents.js';
import { BACKENDS, type TestFleet, eventually, modelV, publish, startFleet } from '../fixtures.js';
import { inferGaussian } from '../monitoring-helpers.js';
import { gaussian } from '../telemetry/gaussian.js';

const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts');
/** The deployment page as one line: "STATE: wave 1 counts | gate / wave 2 counts | gate". */
const SNAPSHOT = `(() => {
  const state = document.querySelector('h1 .badge')?.textContent ?? '';
  const waves = [...document.querySelectorAll('li.wave')].map(
    (li) => li.querySelector('.counts')?.textContent + ' | ' + li.querySelector('.gate')?.textContent,
  );
  return state + ': ' + waves.join(' / ');
})()`;
const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!;

describe.skipIf(!hasChromium)(
  hasChromium
    ? 'Studio in headless Chromium'
    : `Studio in headless Chromium (skipped: ${CHROMIUM} not found)`,
  () => {
    let f: TestFleet;
    let lab: Agent[] = [];
    let field: Agent[] = [];
    let browser: Browser;
    let page: Page;
    const errors: string[] = [];
    /** Every request the page made to the APIs: its URL and Authorization header. */
    const apiCalls: { url: string; authorization?: string }[] = [];

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      f = await startFleet(sqlite, 25, { monitorIntervalMs: 200, monitorWindowMs: 60_000 });
      await publish(f.reg, 'det', modelV(1));
      await publish(f.reg, 'det', modelV(2));
      // both versions' baselines: 3000 samples of N(0, 1) per channel of the [1, 3] input
      const data = Array.from(gaussian(3000 * 3, 100));
      for (const v of [1, 2]) {
        const put = await f.api('PUT', `/monitoring/baselines/det/${v}`, f.adminToken, {
          inputs: { x: { dims: [3000, 3], data } },
        });
        expect(put.status, JSON.stringify(put.json)).toBe(201);
      }
      for (const name of ['lab', 'field']) {
        expect((await f.api('POST', '/groups', f.adminToken, { name })).status).toBe(201);
      }
      lab = await startAgents(f, 'lab', 4, 60, { telemetryIntervalMs: 200 });
      field = await startAgents(f, 'field', 3, 60, { telemetryIntervalMs: 200 });
      for (const a of [...lab, ...field]) void a.run();
      // both groups start on det@1, deployed over the API
      for (const group of ['lab', 'field']) {
        const d = await f.api('POST', '/deployments', f.adminToken, {
          group,
          model: 'det@1',
          strategy: { kind: 'all-at-once' },
          soakMs: 0,
        });
        expect(d.status, JSON.stringify(d.json)).toBe(201);
      }
      await eventually(
        async () => ([...lab, ...field].every((a) => a.running?.version === 1) ? true : undefined),
        60_000,
        'det@1 on every device',
      );
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('pageerror', (err) => errors.push(err.message));
      // console errors include Content-Security-Policy violations (an inline style, an eval...)
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`${msg.text()} (${msg.location().url})`);
      });
      page.on('request', (req) => {
        const url = new URL(req.url());
        if (/^\/(fleet|registry)\/v1\//.test(url.pathname)) {
          apiCalls.push({ url: req.url(), authorization: req.headers().authorization });
        }
      });
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await Promise.all([...lab, ...field].map((a) => a.stop()));
      await f?.close();
    });

    const text = async (selector: string) => (await page.textContent(selector)) ?? '';

    it('refuses a bad token with a clear message, then signs in with a good one', async () => {
      await page.goto(`${f.url}/studio`);
      expect(page.url()).toBe(`${f.url}/studio/`);
      await page.waitForSelector('#login:not([hidden])');
      expect(await page.isVisible('#nav')).toBe(false);
      await page.fill('#token', 'kiln_not-a-real-token');
      await page.click('#login-form button[type=submit]');
      await expect.poll(() => text('#login-error')).not.toBe('');
      expect(await text('#login-error')).toBe('Token refused: unknown or revoked token.');
      expect(await page.isVisible('#nav')).toBe(false);
      expect(await page.evaluate('sessionStorage.length')).toBe(0);

      await page.fill('#token', f.adminToken);
      await page.click('#login-form button[type=submit]');
      await page.waitForSelector('table.groups');
      expect(await page.isVisible('#login')).toBe(false);
      expect(await page.isVisible('#nav')).toBe(true);
      const rows = await page.$$eval('table.groups tbody tr', (trs) => trs.map((tr) => tr.textContent));
      expect(rows).toEqual([
        expect.stringMatching(/^field3det@1 × 3#2 det@1succeeded3\/3/),
        expect.stringMatching(/^lab4det@1 × 4#1 det@1succeeded4\/4/),
      ]);
    }, 60_000);

    it('starts a canary deployment from the form and follows it through its waves to success', async () => {
      await page.click('#nav a[href="#/deployments"]');
      await page.waitForSelector('#start-deployment');
      await page.selectOption('#start-deployment select[name=group]', 'lab');
      await page.selectOption('#start-deployment select[name=model]', 'det');
      await page.fill('#start-deployment input[name=ref]', '2');
      await page.selectOption('#start-deployment select[name=strategy]', 'canary-devices');
      // a bad form is refused with the server's reason, and nothing starts
      await page.fill('#start-deployment input[name=size]', '0');
      await page.click('#start-deployment button[type=submit]');
      await expect
        .poll(() => text('#start-deployment .error'))
        .toMatch(/^Not started: invalid canary size 0.*a whole number of devices ≥ 1/);
      expect((await f.api('GET', '/deployments', f.readToken)).json).toHaveLength(2);
      await page.fill('#start-deployment input[name=size]', '1');
      // each wave soaks 1.5 s, long enough for the page (refreshing every second) to show it
      await page.fill('#start-deployment input[name=soak]', '1.5');
      await page.click('#start-deployment button[type=submit]');
      await page.waitForSelector('ol.waves li.wave');
      expect(page.url()).toMatch(/#\/deployments\/3$/);

      // what the page shows, sampled until it says succeeded
      const seen: string[] = [];
      const until = Date.now() + 90_000;
      for (;;) {
        const snapshot = (await page.evaluate(SNAPSHOT)) as string;
        if (seen.at(-1) !== snapshot) seen.push(snapshot);
        if (snapshot.startsWith('succeeded') || Date.now() > until) break;
        await page.waitForTimeout(100);
      }
      const history = seen.join('\n');
      expect(seen.at(-1), history).toMatch(
        /^succeeded: 1 installed, 0 failed, 0 pending of 1 \| gate passed .* \/ 3 installed, 0 failed, 0 pending of 3 \| gate passed/,
      );
      // it was seen running with only the canary released, and with the canary's gate passed
      expect(history).toMatch(/^running: .* of 1 \| gate pending \/ .*pending of 3 \| not released$/m);
      expect(history).toMatch(
        /^running: 1 installed, 0 failed, 0 pending of 1 \| gate passed .* \/ .* of 3 \| gate pending$/m,
      );
      const events = await text('table.events');
      for (const e of ['created', 'wave-started', 'gate-passed', 'succeeded']) expect(events).toContain(e);
      expect(await page.isDisabled('button:has-text("Abort")')).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, 'studio-deployment.png'), fullPage: true });
    }, 120_000);

    it('shows every device of the group on the new version, healthy', async () => {
      await page.click('#nav a[href="#/devices"]');
      await page.waitForSelector('table.devices');
      await page.selectOption('select[name=group]', 'lab');
      await page.waitForURL(/#\/devices\?group=lab$/);
      await expect.poll(() => text('.summary'), { timeout: 30_000 }).toContain('det@2 × 4');
      expect(await text('.summary')).toContain('4 devices: 4 ok, 0 failed, 0 not reported');
      const rows = await page.$$eval('table.devices tbody tr', (trs) => trs.map((tr) => tr.textContent));
      expect(rows).toHaveLength(4);
      for (const r of rows) expect(r).toMatch(/^lab-\d+labokdet@2installed det@2wasm/);
    }, 60_000);

    it('raises a drift alert for the group whose inputs shifted, and none for the other; acknowledges it', async () => {
      // the injected drift: field's inputs come from N(1.5, 1) against a N(0, 1) baseline
      await Promise.all([
        ...lab.map((a, i) => inferGaussian(a, 150, 10 + i, 0)),
        ...field.map((a, i) => inferGaussian(a, 150, 20 + i, 1.5)),
      ]);
      await Promise.all([...lab, ...field].map((a) => a.flushTelemetry()));
      await page.click('#nav a[href="#/alerts"]');
      // open drift alerts for each of field's three input channels (the view refreshes every 3 s)
      await expect
        .poll(() => page.locator('table.alerts tbody tr', { hasText: 'drift' }).count(), {
          timeout: 60_000,
          interval: 200,
        })
        .toBe(3);
      const rows = await page.$$eval('table.alerts tbody tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
      for (const r of rows) {
        expect(r.slice(1, 5)).toEqual(['drift', 'field', 'det@1', expect.stringMatching(/^x\[[012]\]$/)]);
        expect(Number(r[5])).toBeGreaterThan(0.2);
        expect(r[8]).toBe('open');
      }
      // and the API agrees: nothing for lab
      expect((await f.api('GET', '/alerts?group=lab', f.readToken)).json).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, 'studio-alerts.png'), fullPage: true });

      // acknowledging takes the alert off the open list (while the drift lasts, the monitor raises a
      // new one for the channel on a later check) and onto the acknowledged list
      const button = page.locator('table.alerts tbody tr:first-child button');
      const id = await button.getAttribute('data-alert');
      await button.click();
      await expect.poll(() => page.locator(`button[data-alert="${id}"]`).count()).toBe(0);
      const acked = (await f.api('GET', '/alerts?state=acked', f.readToken)).json;
      expect(acked).toEqual([
        expect.objectContaining({
          id: Number(id),
          group: 'field',
          kind: 'drift',
          input: 'x',
          ackedBy: 'ops',
        }),
      ]);
      await page.selectOption('select[name=state]', 'acked');
      await page.waitForURL(/#\/alerts\?state=acked$/);
      await expect.poll(() => text('table.alerts tbody')).toContain('acked by ops');
      expect(await page.locator('table.alerts tbody tr').count()).toBe(1);
    }, 120_000);

    it('draws latency and drift charts for the drifted group, and marks its channels drifted', async () => {
      await page.goto(`${f.url}/studio/#/monitoring?model=det&version=1&group=field&range=15%20min`);
      await page.waitForSelector('table.drift');
      await page.waitForSelector('#latency-chart canvas');
      await page.waitForSelector('#drift-chart canvas');
      const drift = await page.$$eval('table.drift tbody tr', (trs) => trs.map((tr) => tr.textContent));
      expect(drift).toHaveLength(3);
      for (const r of drift) expect(r).toMatch(/drifted$/);
      // the chart legend names the latency quantiles and each input channel's PSI series
      const legends = await page.$$eval('.u-legend .u-label', (els) => els.map((e) => e.textContent));
      for (const l of ['p50', 'p95', 'p99', 'x[0]', 'x[1]', 'x[2]', 'alert at 0.2'])
        expect(legends).toContain(l);
      await page.screenshot({ path: join(ARTIFACTS, 'studio-monitoring.png'), fullPage: true });
      // lab, on det@2 with inputs like its baseline, is stable
      await page.goto(`${f.url}/studio/#/monitoring?model=det&version=2&group=lab&range=15%20min`);
      await expect
        .poll(() => page.locator('table.drift tbody tr .badge').count(), { timeout: 30_000 })
        .toBe(3);
      for (const r of await page.$$eval('table.drift tbody tr', (trs) => trs.map((tr) => tr.textContent))) {
        expect(r).toMatch(/stable$/);
      }
    }, 60_000);

    it('the overview shows the new version, the deployment and the open alerts per group', async () => {
      await page.click('#nav a[href="#/"]');
      await page.waitForSelector('table.groups');
      const rows = await page.$$eval('table.groups tbody tr', (trs) => trs.map((tr) => tr.textContent));
      expect(rows).toEqual([
        expect.stringMatching(/^field3det@1 × 3#2 det@1succeeded3\/3 .*ago[1-9]\d*$/),
        expect.stringMatching(/^lab4det@2 × 4#3 det@2succeeded4\/4 .*ago0$/),
      ]);
      await page.screenshot({ path: join(ARTIFACTS, 'studio.png'), fullPage: true });
    }, 60_000);

    it('sent the token only as a bearer header, never in a URL', () => {
      expect(apiCalls.length).toBeGreaterThan(5);
      for (const c of apiCalls) {
        expect(c.url).not.toContain(f.adminToken);
        expect(c.authorization, c.url).toMatch(/^Bearer /);
      }
      // after the refused sign-in, every call carried the good token
      const good = apiCalls.filter((c) => c.authorization === `Bearer ${f.adminToken}`);
      expect(good.length).toBe(apiCalls.length - 1);
      // the only errors: the browser logging the refused sign-in's 401 and the refused form's 400
      expect(errors).toEqual([
        expect.stringMatching(/status of 401 .*\/fleet\/v1\/groups\)$/),
        expect.stringMatching(/status of 400 .*\/fleet\/v1\/deployments\)$/),
      ]);
    });

    it('signs out: the token is gone from the tab and the sign-in form is back', async () => {
      await page.click('#logout');
      await page.waitForSelector('#login:not([hidden])');
      expect(await page.evaluate('sessionStorage.length')).toBe(0);
      await page.reload();
      await page.waitForSelector('#login:not([hidden])');
      expect(await page.isVisible('#nav')).toBe(false);
    }, 30_000);
  },
);
