import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO } from '../support/child-shipgate.js';
import { eventually } from '../support/eventually.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';

/** `shipgate ARGS` from source, in CWD, with only these variables (no Slack ones). */
function shipgate(args: string[], env: Record<string, string>, cwd = mkdtempSync(join(tmpdir(), 'shipgate-cwd-'))) {
  const child = spawn(process.execPath, ['--import', join(REPO, 'node_modules/tsx/dist/esm/index.mjs'), join(REPO, 'src/cli.ts'), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', REDIS_URL: TEST_REDIS_URL, PORT: '0', SHIPGATE_AUDIT_KEY: 'x'.repeat(40), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('shipgate start without Slack variables', () => {
  let running: ReturnType<typeof shipgate> | undefined;
  afterEach(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGTERM');
      await running.exited;
    }
    running = undefined;
  });

  it('starts the playground, says so in one line with its address, and answers /healthz as a playground', async () => {
    running = shipgate(['start'], {});
    const url = await eventually(() => {
      const found = /http:\/\/localhost:(\d+)\/playground/.exec(running!.output());
      if (!found) throw new Error(`no address yet: ${running!.output()}`);
      return found[0].replace('localhost', '127.0.0.1');
    }, { timeoutMs: 25_000 });
    expect(running.output()).toMatch(/^No Slack variables set, so Shipgate runs as a playground/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/Shipgate playground/);
    const health = await fetch(url.replace('/playground', '/healthz'));
    expect(health.status).toBe(503);
    expect(await health.text()).toBe('playground, not a production bot\n');
  });

  it('stops as today with NODE_ENV=production', async () => {
    running = shipgate(['start'], { NODE_ENV: 'production' });
    expect(await running.exited).toBe(2);
    expect(running.output()).toMatch(/Slack is not configured:\n {2}SLACK_BOT_TOKEN is not set/);
    expect(running.output()).not.toMatch(/playground/);
  });

  it('stops as today when a shipgate.yml is in the working directory, or SHIPGATE_CONFIG is set', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'shipgate-deployment-'));
    writeFileSync(join(cwd, 'shipgate.yml'), 'apps: {}\n');
    running = shipgate(['start'], {}, cwd);
    expect(await running.exited).toBe(2);
    expect(running.output()).toMatch(/Slack is not configured/);
    running = shipgate(['start'], { SHIPGATE_CONFIG: join(cwd, 'shipgate.yml') });
    expect(await running.exited).toBe(2);
    expect(running.output()).toMatch(/Slack is not configured/);
  });

  it('refuses `shipgate playground` with NODE_ENV=production', async () => {
    running = shipgate(['playground'], { NODE_ENV: 'production' });
    expect(await running.exited).toBe(2);
    expect(running.output()).toMatch(/The playground does not run with NODE_ENV=production/);
  });
});
