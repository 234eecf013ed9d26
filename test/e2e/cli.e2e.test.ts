import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { spawnShipgate, writeTempFile } from '../support/child-shipgate.js';
import { BOT_TOKEN, DEPLOY_SECRET, PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';

const SLACK = { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: 'secret' };

async function run(args: string[], env: Record<string, string>) {
  const child = spawnShipgate(args, env);
  const code = await child.exited;
  return { code, output: child.output() };
}

describe('shipgate audit', () => {
  let h: Harness;
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await startShipgate();
    const { message } = await h.ask(PEOPLE.alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('deployed'));
    env = { SHIPGATE_CONFIG: writeTempFile('shipgate.yml', h.shipgate.yaml), DEPLOY_SECRET, REDIS_URL: TEST_REDIS_URL };
  });
  afterAll(async () => h.close());

  it('verifies an intact chain, exports it as JSON Lines, and detects an edited entry', async () => {
    const entries = await h.shipgate.auditEntries();
    expect(entries.map((e) => e.type)).toEqual(['requested', 'deploy_started', 'deploy_called', 'deployed']);

    const verified = await run(['audit', 'verify'], env);
    expect(verified).toEqual({ code: 0, output: 'audit log intact: 4 entries\n' });

    const exported = await run(['audit', 'export'], env);
    expect(exported.code).toBe(0);
    const lines = exported.output.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; hash: string; prev: string });
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4]);
    expect(lines[1]!.prev).toBe(lines[0]!.hash);

    // Someone rewrites who asked for the deployment.
    const edited = { ...entries[0]!, actor: 'UMALLORY' };
    await h.shipgate.redis.lset(h.shipgate.keys.auditLog, 0, JSON.stringify(edited));
    const broken = await run(['audit', 'verify'], env);
    expect(broken.code).toBe(1);
    expect(broken.output).toMatch(/audit log BROKEN at entry 1: its content does not match its hash/);

    // Deleting the last entry is caught by the head.
    await h.shipgate.redis.lset(h.shipgate.keys.auditLog, 0, JSON.stringify(entries[0]));
    await h.shipgate.redis.rpop(h.shipgate.keys.auditLog);
    const truncated = await run(['audit', 'verify'], env);
    expect(truncated.code).toBe(1);
    expect(truncated.output).toMatch(/chain head does not match/);
  });
});

describe('shipgate start refuses to start with one clear message', () => {
  const validConfig = writeTempFile('shipgate.yml', 'slack: { channel: C0DEPLOYS }\napps: { web: { executor: t } }\nenvironments: { development: {} }\nexecutors: { t: { type: webhook, url: "http://127.0.0.1:9/x", secret: "0123456789abcdef" } }\n');

  it('when Slack variables are missing, and says how to create the app from manifest.yml', async () => {
    const { code, output } = await run(['start'], { SHIPGATE_CONFIG: validConfig });
    expect(code).toBe(2);
    expect(output).toMatch(/SLACK_BOT_TOKEN is not set/);
    expect(output).toMatch(/SLACK_SIGNING_SECRET is not set/);
    expect(output).toMatch(/Create the Slack app from manifest\.yml/);
  });

  it('when the configuration is broken, naming file, line and path', async () => {
    const broken = writeTempFile('shipgate.yml', 'slack: { channel: C0DEPLOYS }\napps: { web: { executor: t } }\nenvironments:\n  production:\n    approvals: { required: two, approvers: [S0REL] }\nexecutors: { t: { type: webhook, url: "http://x", secret: "0123456789abcdef" } }\n');
    const { code, output } = await run(['start'], { ...SLACK, SHIPGATE_CONFIG: broken });
    expect(code).toBe(2);
    expect(output).toContain(`${broken}:5: environments.production.approvals.required: expected a number`);
  });

  it('when a secret the configuration reads is not in the environment', async () => {
    const config = writeTempFile('shipgate.yml', 'slack: { channel: C0DEPLOYS }\napps: { web: { executor: t } }\nenvironments: { development: {} }\nexecutors:\n  t:\n    type: webhook\n    url: "http://x"\n    secret: "${DEPLOY_WEBHOOK_SECRET}"\n');
    const { code, output } = await run(['check-config'], { SHIPGATE_CONFIG: config });
    expect(code).toBe(2);
    expect(output).toMatch(/:8: environment variable DEPLOY_WEBHOOK_SECRET is not set/);
  });

  it('when Redis cannot be reached', async () => {
    const { code, output } = await run(['start'], { ...SLACK, SHIPGATE_CONFIG: validConfig, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(code).toBe(2);
    expect(output).toMatch(/Cannot reach Redis at redis:\/\/127\.0\.0\.1:1 .*Start it .* or set REDIS_URL/);
  });

  it('check-config refuses a broken calendar with its file and line', async () => {
    const calendars = writeTempFile('production.yml', 'timezone: Europe/Berlin\nwindows:\n  - days: [mon]\n    start: "25:00"\n    end: "17:00"\n').replace(/production\.yml$/, '');
    const config = writeTempFile('shipgate.yml', 'slack: { channel: C0DEPLOYS }\napps: { web: { executor: t } }\nenvironments: { production: {} }\nexecutors: { t: { type: webhook, url: "http://x", secret: "0123456789abcdef" } }\n');
    const { code, output } = await run(['check-config'], { SHIPGATE_CONFIG: config, SHIPGATE_CALENDARS: calendars });
    expect(code).toBe(2);
    expect(output).toContain(`${calendars}production.yml:4: windows.0.start: expected a local time such as "09:00"`);
  });

  it('check-config accepts the example configuration', async () => {
    const { code, output } = await run(['check-config'], { SHIPGATE_CONFIG: 'shipgate.example.yml', DEPLOY_WEBHOOK_SECRET: 'x'.repeat(32) });
    expect({ code, output }).toEqual({ code: 0, output: 'shipgate.example.yml: valid (2 apps, 3 environments)\n' });
  });
});
