import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/store/audit-chain.js';
import { eventually } from '../support/eventually.js';
import { REPO, spawnShipgate, writeTempFile } from '../support/child-shipgate.js';
import { AUDIT_KEY, BOT_TOKEN, DEPLOY_SECRET, PEOPLE, startShipgate, testAuditKey, type Harness } from '../support/start-shipgate.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';
import { deleteKeysUnder, testPrefix } from '../support/test-prefix.js';

const SLACK = { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: 'secret', SHIPGATE_AUDIT_KEY: AUDIT_KEY };

async function run(args: string[], env: Record<string, string>) {
  const child = spawnShipgate(args, env);
  const code = await child.exited;
  return { code, output: child.output() };
}

type Entry = AuditEntry & Record<string, unknown>;

/** Rewrites a chain as someone with Redis access would: edit, then recompute every link and the head with `seal`. */
async function rewrite(h: Harness, chain: string, edit: (e: Entry) => Entry, seal: (body: object) => string): Promise<void> {
  const entries = (await h.shipgate.redis.lrange(h.shipgate.keys.auditLog(chain), 0, -1)).map((raw) => JSON.parse(raw) as Entry);
  let prev = '0'.repeat(64);
  const forged = entries.map((entry) => {
    const { mac: _, ...body } = edit(entry);
    const next = { ...body, prev };
    prev = seal(next);
    return JSON.stringify({ ...next, mac: prev });
  });
  await h.shipgate.redis.multi().del(h.shipgate.keys.auditLog(chain)).rpush(h.shipgate.keys.auditLog(chain), ...forged).set(h.shipgate.keys.auditHead(chain), `${forged.length}:${prev}`).exec();
}

describe('shipgate audit', () => {
  let h: Harness;
  let env: Record<string, string>;
  let original: { chain: string; entries: string[]; head: string | null }[];
  const WRONG_KEY = 'a-key-someone-made-up-that-is-long-enough-0123';
  beforeAll(async () => {
    h = await startShipgate();
    await h.bring('1.0.0', 'staging');
    env = { SHIPGATE_CONFIG: writeTempFile('shipgate.yml', h.shipgate.yaml), DEPLOY_SECRET, REDIS_URL: TEST_REDIS_URL, SHIPGATE_AUDIT_KEY: AUDIT_KEY };
    const { redis, keys } = h.shipgate;
    original = await Promise.all(['web:development', 'web:staging'].map(async (chain) => ({ chain, entries: await redis.lrange(keys.auditLog(chain), 0, -1), head: await redis.get(keys.auditHead(chain)) })));
  });
  afterEach(async () => {
    const { redis, keys } = h.shipgate;
    for (const { chain, entries, head } of original) await redis.multi().del(keys.auditLog(chain)).rpush(keys.auditLog(chain), ...entries).set(keys.auditHead(chain), head!).exec();
  });
  afterAll(async () => h.close());

  it('verifies every app and environment chain on its own, and exports them all in a stable order', async () => {
    const development = await h.shipgate.auditEntriesOf('web', 'development');
    expect(development.map((e) => e.type)).toEqual(['requested', 'deploy_started', 'deploy_called', 'deployed']);
    const staging = await h.shipgate.auditEntriesOf('web', 'staging');
    expect(staging.map((e) => e.type)).toContain('approved');

    const verified = await run(['audit', 'verify'], env);
    expect(verified).toEqual({
      code: 0,
      output: `chain web:development: intact, 4 entries\nchain web:staging: intact, ${staging.length} entries\naudit log intact: 2 chains, ${4 + staging.length} entries\n`,
    });

    const exported = await run(['audit', 'export'], env);
    expect(exported.code).toBe(0);
    const lines = exported.output.trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
    expect(lines.map((l) => [l.chain, l.seq])).toEqual([...development.map((e) => ['web:development', e.seq]), ...staging.map((e) => ['web:staging', e.seq])]);
    expect(lines[1]!.prev).toBe(lines[0]!.mac);
    expect((await run(['audit', 'export'], env)).output).toBe(exported.output);
  });

  it('needs the key, and says clearly when it is missing or not the one Shipgate writes with', async () => {
    const { SHIPGATE_AUDIT_KEY: _, ...withoutKey } = env;
    const missing = await run(['audit', 'verify'], withoutKey);
    expect(missing.code).toBe(2);
    expect(missing.output).toMatch(/^shipgate: SHIPGATE_AUDIT_KEY is not set: set SHIPGATE_AUDIT_KEY to a secret of at least 32 bytes.*\(generate one with: openssl rand -hex 32\)\.\n$/);
    expect((await run(['audit', 'export'], withoutKey)).code).toBe(2);

    const wrong = await run(['audit', 'verify'], { ...env, SHIPGATE_AUDIT_KEY: WRONG_KEY });
    expect(wrong.code).toBe(1);
    expect(wrong.output).toMatch(/chain web:development: BROKEN at entry 1: .*SHIPGATE_AUDIT_KEY is not the key this Shipgate writes with/);
    expect(wrong.output).toMatch(/No chain verifies with this SHIPGATE_AUDIT_KEY/);
    expect(wrong.output).not.toContain(WRONG_KEY);
  });

  it('detects an entry rewritten with a recomputed plain SHA-256 chain, and names the chain', async () => {
    await rewrite(h, 'web:development', (e) => (e.seq === 1 ? { ...e, actor: PEOPLE.mallory } : e), (body) => createHash('sha256').update(canonicalize(body) ?? '').digest('hex'));
    const broken = await run(['audit', 'verify'], env);
    expect(broken.code).toBe(1);
    expect(broken.output).toMatch(/chain web:development: BROKEN at entry 1: its content does not match its MAC/);
    expect(broken.output).toMatch(/chain web:staging: intact/);
    expect(broken.output).toMatch(/audit log BROKEN: 1 of 2 chains failed verification\n$/);
  });

  it('writes signed checkpoints that catch a truncated chain and a chain resealed with another key', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'shipgate-checkpoint-')), 'checkpoint.jsonl');
    const exported = await run(['audit', 'export', '--checkpoint', file], env);
    expect(exported.code).toBe(0);
    const checkpoints = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(checkpoints.map((c) => [c.chain, c.seq])).toEqual([['web:development', 4], ['web:staging', original[1]!.entries.length]]);
    expect(checkpoints[0]).toEqual({ chain: 'web:development', seq: 4, mac: (JSON.parse(original[0]!.entries[3]!) as AuditEntry).mac, at: expect.any(String), sig: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await run(['audit', 'verify', '--checkpoint', file], env)).toMatchObject({ code: 0, output: expect.stringContaining('chain web:development: intact, 4 entries (holds the checkpoint at entry 4)') });

    // Drop the last entry and point the head at the one before: the chain alone still verifies.
    const { redis, keys } = h.shipgate;
    await redis.multi().rpop(keys.auditLog('web:development')).set(keys.auditHead('web:development'), `3:${(JSON.parse(original[0]!.entries[2]!) as AuditEntry).mac}`).exec();
    expect((await run(['audit', 'verify'], env)).code).toBe(0);
    const truncated = await run(['audit', 'verify', '--checkpoint', file], env);
    expect(truncated.code).toBe(1);
    expect(truncated.output).toMatch(/chain web:development: BROKEN at entry 4: the chain ends at entry 3, but the signed checkpoint saw entry 4 \(history was truncated\)/);

    // Rewrite who asked and reseal everything with a key of one's own: neither key lets it pass.
    await redis.multi().del(keys.auditLog('web:development')).rpush(keys.auditLog('web:development'), ...original[0]!.entries).exec();
    const wrongKey = testAuditKey(WRONG_KEY);
    await rewrite(h, 'web:development', (e) => (e.seq === 1 ? { ...e, actor: PEOPLE.mallory } : e), (body) => wrongKey.mac(canonicalize(body) ?? ''));
    const withTheirKey = await run(['audit', 'verify', '--checkpoint', file], { ...env, SHIPGATE_AUDIT_KEY: WRONG_KEY });
    expect(withTheirKey.code).toBe(1);
    expect(withTheirKey.output).toMatch(/audit log NOT VERIFIED: the checkpoint of chain web:development \(line 1\) is not signed with this SHIPGATE_AUDIT_KEY/);
    const withOurKey = await run(['audit', 'verify', '--checkpoint', file], env);
    expect(withOurKey.code).toBe(1);
    expect(withOurKey.output).toMatch(/chain web:development: BROKEN at entry 1: its content does not match its MAC/);

    // A checkpoint never vouches for a broken chain.
    const refused = join(mkdtempSync(join(tmpdir(), 'shipgate-checkpoint-')), 'refused.jsonl');
    const exportBroken = await run(['audit', 'export', '--checkpoint', refused], env);
    expect(exportBroken.code).toBe(1);
    expect(exportBroken.output).toMatch(/no checkpoint written/);
    expect(existsSync(refused)).toBe(false);
  }, 90_000); // eight child processes on a machine shared with other test files
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

  it('when SHIPGATE_AUDIT_KEY is missing or too short, for start, serve and worker alike, saying how to make one', async () => {
    const { SHIPGATE_AUDIT_KEY: _, ...noKey } = SLACK;
    for (const command of ['start', 'serve', 'worker']) {
      const { code, output } = await run([command], { ...noKey, SHIPGATE_CONFIG: validConfig });
      expect({ command, code, output }).toEqual({
        command,
        code: 2,
        output: 'shipgate: SHIPGATE_AUDIT_KEY is not set: set SHIPGATE_AUDIT_KEY to a secret of at least 32 bytes, the same for every Shipgate process (generate one with: openssl rand -hex 32).\n',
      });
    }
    const short = await run(['worker'], { ...noKey, SHIPGATE_CONFIG: validConfig, SHIPGATE_AUDIT_KEY: 'abc123' });
    expect(short.code).toBe(2);
    expect(short.output).toMatch(/SHIPGATE_AUDIT_KEY is too short \(6 bytes\): set SHIPGATE_AUDIT_KEY to a secret of at least 32 bytes/);
    expect(short.output).not.toContain('abc123');
  });

  it('and once started, never writes the audit key to its logs', async () => {
    const prefix = testPrefix('cli');
    const config = writeTempFile('shipgate.yml', `slack: { channel: C0DEPLOYS }\napps: { web: { executor: t } }\nenvironments: { development: {} }\nexecutors: { t: { type: webhook, url: "http://127.0.0.1:9/x", secret: "0123456789abcdef" } }\nqueue: { prefix: "${prefix}" }\n`);
    const worker = spawnShipgate(['worker'], { ...SLACK, SHIPGATE_CONFIG: config, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'trace' });
    try {
      await eventually(() => expect(worker.output()).toMatch(/shipgate worker is running/), { timeoutMs: 20_000 });
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
    }
    expect(worker.output()).not.toContain(AUDIT_KEY);
    const redis = new Redis(TEST_REDIS_URL);
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
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
    expect(code).toBe(1);
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
    expect(code).toBe(1);
    expect(output).toContain(`${calendars}production.yml:4: windows.0.start: expected a local time such as "09:00"`);
  });

  it('check-config accepts the example configuration', async () => {
    const example = join(REPO, 'shipgate.example.yml');
    const { code, output } = await run(['check-config'], { SHIPGATE_CONFIG: example, DEPLOY_WEBHOOK_SECRET: 'x'.repeat(32) });
    expect({ code, output }).toEqual({ code: 0, output: `${example}: valid (2 apps, 3 environments)\nreads these environment variables: DEPLOY_WEBHOOK_SECRET\n` });
  });
});
