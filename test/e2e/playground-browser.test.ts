import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlayground, type Playground } from '../../src/playground/start-playground.js';
import { eventually } from '../support/eventually.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';

const REPO = resolve(import.meta.dirname, '../..');

/** Debian's Chromium (apt-get install chromium), with a fresh profile; playwright-core brings no browser of its own. */
async function launch(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'playground-chromium-')), {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1440, height: 900 },
  });
}

describe('the playground page in a browser', () => {
  let pg: Playground;
  let browser: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    pg = await startPlayground({ port: 0, redisUrl: TEST_REDIS_URL, log: pino({ level: 'silent' }), prefix: `{t-playground-${randomBytes(4).toString('hex')}}`, paceMs: 0 });
    browser = await launch();
    page = await browser.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    const left = await pg.redis.keys(`${pg.prefix}*`);
    if (left.length) await pg.redis.del(...left);
    await pg.close();
  });

  const type = async (text: string) => {
    await page.getByLabel('Message').fill(text);
    await page.getByLabel('Message').press('Enter');
  };
  const actAs = (name: string) => page.getByLabel('Acting as').selectOption({ label: name });
  const messageOf = (text: string) => page.locator('.message[data-promotion]').filter({ hasText: text }).last();

  it('promotes with a typed command, is approved by the person picked, deploys, and rolls back', async () => {
    await pg.actors.bring('1.0.0', 'staging');
    await page.goto(pg.url);
    await expect.poll(() => page.locator('.message[data-promotion]').count()).toBeGreaterThan(0);

    await actAs('Ada');
    await type('/promote web 1.1.0 to development');
    await expect.poll(() => pg.actors.live('development')).toBe('1.1.0');
    // Ada's answer is shown to her alone.
    await page.locator('.ephemeral').filter({ hasText: 'web 1.1.0 to development' }).waitFor();

    await type('/promote web 1.1.0 to staging');
    await messageOf('1.1.0 to staging').getByRole('button', { name: 'Approve' }).waitFor();
    // The message's text changes as it moves on; its ts does not.
    const message = page.locator(`.message[data-ts="${await messageOf('1.1.0 to staging').getAttribute('data-ts')}"]`);
    await message.getByText(/coverage 86\.4% ≥ 80%/).waitFor();

    await actAs('Ada');
    await message.getByRole('button', { name: 'Approve' }).click();
    await page.locator('.ephemeral').filter({ hasText: /someone else must approve|asked for this promotion/i }).waitFor();

    await actAs('Quinn');
    await message.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => pg.actors.live('staging')).toBe('1.1.0');
    // The Roll back button comes in the message's thread, with the note that it deployed.
    await message.getByRole('button', { name: /repl(y|ies)/ }).first().click();
    const rollBack = message.getByRole('button', { name: /Roll back to 1\.0\.0/ });
    await rollBack.waitFor();
    mkdirSync(join(REPO, 'docs'), { recursive: true });
    // The page redraws the channel as notes arrive; a redraw mid-screenshot detaches the element, so take it again.
    await expect.poll(async () => message.screenshot({ path: join(REPO, 'docs/promotion-message.png') }).then(() => 'taken', (e: Error) => e.message), { timeout: 10_000 }).toBe('taken');

    await rollBack.click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button').last().click();
    await expect.poll(() => pg.actors.live('staging')).toBe('1.0.0');
    await eventually(() => expect(pg.deployTarget.deployments.filter((d) => d.environment === 'staging').map((d) => d.version)).toEqual(['1.0.0', '1.1.0', '1.0.0']));
  });

  it('renders what a person typed as text, never as markup', async () => {
    await actAs('Mallory');
    await type('/promote web 9.9.9 to staging <img src=x onerror="window.pwned=1"> *bold*');
    await page.locator('.ephemeral').filter({ hasText: /9\.9\.9|development/ }).first().waitFor();
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('.messages img').count()).toBe(0);
  });

  it('shows App Home, rendered from the view Shipgate published: each environment, what runs there and its figures', async () => {
    await page.getByRole('button', { name: 'Shipgate · Home' }).click();
    await expect.poll(async () => page.locator('.messages').innerText()).toMatch(/staging[\s\S]*Last rollback[\s\S]*Last 30 days:[^\n]*deployments/);
    await expect.poll(async () => page.locator('.messages').innerText()).toMatch(/1\.0\.0/);
  });

  it('runs a scenario from its button and narrates its steps', async () => {
    await page.getByRole('button', { name: /A rollback rehearsal/ }).click();
    await page.locator('.run-title.done').waitFor({ timeout: 60_000 });
    await page.locator('.rehearsal').first().waitFor();
    expect(await page.locator('.step.done').count()).toBeGreaterThanOrEqual(3);
  });
});
