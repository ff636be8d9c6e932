/**
 * Studio in headless Debian chromium against a real fleet server with in-process agents: signing in
 * (a bad token refused, a good one accepted), the overview, starting a canary deployment through the
 * form and watching the page follow it through its waves to success, the devices it updated.
 * Saves test-artifacts/studio.png (the CI artifact). Skipped with a message without /usr/bin/chromium.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../fleet/agent/agent.js';
import { CHROMIUM, hasChromium, launchChromium } from '../../helpers/chromium.js';
import { PROJECT_ROOT } from '../../helpers/paths.js';
import { startAgents } from '../agents.js';
import { BACKENDS, type TestFleet, modelV, publish, startFleet } from '../fixtures.js';

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
    let agents: Agent[] = [];
    let browser: Browser;
    let page: Page;
    const errors: string[] = [];
    /** Every request the page made to the APIs: its URL and Authorization header. */
    const apiCalls: { url: string; authorization?: string }[] = [];

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      f = await startFleet(sqlite);
      await publish(f.reg, 'det', modelV(1));
      await publish(f.reg, 'det', modelV(2));
      expect((await f.api('POST', '/groups', f.adminToken, { name: 'lab' })).status).toBe(201);
      agents = await startAgents(f, 'lab', 4);
      for (const a of agents) void a.run();
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('request', (req) => {
        const url = new URL(req.url());
        if (/^\/(fleet|registry)\/v1\//.test(url.pathname)) {
          apiCalls.push({ url: req.url(), authorization: req.headers().authorization });
        }
      });
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await Promise.all(agents.map((a) => a.stop()));
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
      await page.waitForFunction("document.querySelector('#login-error').textContent !== ''");
      expect(await text('#login-error')).toBe('Token refused: unknown or revoked token.');
      expect(await page.isVisible('#nav')).toBe(false);
      expect(await page.evaluate('sessionStorage.length')).toBe(0);

      await page.fill('#token', f.adminToken);
      await page.click('#login-form button[type=submit]');
      await page.waitForSelector('table.groups');
      expect(await page.isVisible('#login')).toBe(false);
      expect(await page.isVisible('#nav')).toBe(true);
      const row = await text('table.groups tbody tr');
      expect(row).toContain('lab');
      expect(row).toContain('4');
    }, 60_000);

    it('starts a canary deployment from the form and follows it through its waves to success', async () => {
      await page.click('#nav a[href="#/deployments"]');
      await page.waitForSelector('#start-deployment');
      await page.selectOption('#start-deployment select[name=group]', 'lab');
      await page.selectOption('#start-deployment select[name=model]', 'det');
      await page.fill('#start-deployment input[name=ref]', '2');
      await page.selectOption('#start-deployment select[name=strategy]', 'canary-devices');
      await page.fill('#start-deployment input[name=size]', '1');
      // each wave soaks 1.5 s, long enough for the page (refreshing every second) to show it
      await page.fill('#start-deployment input[name=soak]', '1.5');
      await page.click('#start-deployment button[type=submit]');
      await page.waitForSelector('ol.waves li.wave');
      expect(page.url()).toMatch(/#\/deployments\/1$/);

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

    it('shows every device on the new version, healthy', async () => {
      await page.click('#nav a[href="#/devices"]');
      await page.waitForSelector('table.devices');
      await page.waitForFunction("document.querySelector('.summary')?.textContent.includes('det@2 × 4')");
      expect(await text('.summary')).toContain('4 devices: 4 ok, 0 failed, 0 not reported');
      const rows = await page.$$eval('table.devices tbody tr', (trs) => trs.map((tr) => tr.textContent));
      expect(rows).toHaveLength(4);
      for (const r of rows) expect(r).toMatch(/^lab-\d+labokdet@2installed det@2wasm/);
      await page.click('#nav a[href="#/"]');
      await page.waitForSelector('table.groups');
      expect(await text('table.groups tbody tr')).toContain('succeeded');
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
      expect(errors).toEqual([]);
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
