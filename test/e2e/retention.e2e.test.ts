import { mkdtempSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Promotion } from '../../src/domain/promotion.js';
import { AuditArchive } from '../../src/store/audit-archive.js';
import { AuditLog } from '../../src/store/audit-log.js';
import { Retention } from '../../src/store/retention.js';
import { spawnShipgate } from '../support/child-shipgate.js';
import { eventually } from '../support/eventually.js';
import { PEOPLE, standardConfig, startShipgate, testAuditKey, type Harness } from '../support/start-shipgate.js';

const DAY = 86_400_000;
const RETENTION = 30 * DAY;

async function run(args: string[], env: Record<string, string>) {
  const child = spawnShipgate(args, env);
  const code = await child.exited;
  return { code, output: child.output() };
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
}

/** Every line of every file under the archive folder DIR/SUB, in file order. */
function archived(dir: string, sub: string): string[] {
  const folder = join(dir, sub);
  return readdirSync(folder).sort().flatMap((f) => lines(join(folder, f)));
}

/** The Redis memory a promotion's own keys take (MEMORY USAGE), and what its audit entries add to their chain's list. */
async function liveBytes(h: Harness, p: Promotion): Promise<{ keys: number; audit: number }> {
  const { redis, keys } = h.shipgate;
  let total = 0;
  for (const key of [keys.promotion(p.id), keys.notes(p.id), keys.notesPosted(p.id), keys.rendered(p.id), keys.alertsOfPromotion(p.id)]) {
    total += Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  }
  const entries = (await h.shipgate.auditEntriesOf(p.app, p.environment)).filter((e) => e.promotion === p.id);
  return { keys: total, audit: entries.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)), 0) };
}

describe('retention', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('moves finished promotions and old audit entries to the archive, which verifies with what stays in Redis and shows tampering', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-archive-'));
    h = await startShipgate({ config: (url, prefix) => standardConfig(url, prefix, `retention: { after: 30d, archive: "${dir}", every: 1h }`) });
    const { shipgate, fake } = h;
    await h.bring('1.0.0', 'staging');
    const { message } = await h.ask(PEOPLE.alice, '/promote web 1.1.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect(await shipgate.live('web', 'development')).toBe('1.1.0'));
    const old = (await shipgate.store.recent(10)).find((p) => p.environment === 'development' && p.version === '1.0.0')!;
    await eventually(async () => expect(fake.refreshed(message).text).toMatch(/Deployed$/));

    // A finished promotion's live footprint, stated and bounded.
    const bytes = await liveBytes(h, old);
    console.log(`live Redis memory of a finished promotion: ${bytes.keys} bytes in its keys (MEMORY USAGE) + ${bytes.audit} bytes of audit entries`);
    expect(bytes.keys + bytes.audit).toBeLessThanOrEqual(10 * 1024);

    const before = await shipgate.audit.verify();
    expect(before.ok).toBe(true);
    const chain = 'web:development';
    const entriesBefore = await shipgate.auditEntriesOf('web', 'development');

    // A run killed after writing part of its archive, one line half written, before trimming Redis.
    const archive = new AuditArchive(dir);
    await archive.append(chain, (await shipgate.redis.lrange(shipgate.keys.auditLog(chain), 0, 1)), null);
    const [firstFile] = readdirSync(join(dir, 'audit', encodeURIComponent(chain)));
    appendFileSync(join(dir, 'audit', encodeURIComponent(chain), firstFile!), '{"chain":"web:devel');

    // The retention passes: two workers archive at once, then once more.
    shipgate.clock.advance(RETENTION + DAY);
    const retention = () => new Retention(shipgate.redis, shipgate.keys, archive, RETENTION, () => shipgate.clock.now());
    const reports = await Promise.all([retention().run(), retention().run()]);
    expect(reports.filter((r) => r.ran)).toHaveLength(1);
    await retention().run();

    // Redis no longer holds the finished promotion nor its chain's old entries; what runs now stays.
    expect(await shipgate.store.get(old.id)).toBeNull();
    expect(await shipgate.redis.exists(shipgate.keys.notes(old.id))).toBe(0);
    expect(await shipgate.redis.llen(shipgate.keys.auditLog(chain))).toBe(0);
    const current = (await shipgate.store.recent(10)).find((p) => p.environment === 'development' && p.version === '1.1.0')!;
    expect(current.state).toBe('deployed');
    expect(await shipgate.live('web', 'staging')).toBe('1.0.0');

    // The archive holds each promotion and each entry once, in order.
    const promotions = archived(dir, 'promotions').map((l) => JSON.parse(l) as { promotion: Promotion; notes: unknown[] });
    expect(promotions.map((r) => r.promotion.id)).toEqual([old.id]);
    expect(promotions[0]!.promotion.state).toBe('deployed');
    expect(archived(dir, join('audit', encodeURIComponent(chain)))).toEqual(entriesBefore.map((e) => JSON.stringify(e)));

    // The chain goes on in Redis after the archived part, and verifies as one.
    await h.ask(PEOPLE.alice, '/promote web 1.2.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect(await shipgate.live('web', 'development')).toBe('1.2.0'));
    const withArchive = new AuditLog(shipgate.redis, shipgate.keys, testAuditKey(), { archive });
    const after = await withArchive.verify();
    expect(after).toMatchObject({ ok: true });
    expect((after as { entries: number }).entries).toBeGreaterThan(before.ok ? before.entries : 0);
    expect(await shipgate.audit.verify()).toMatchObject({ ok: false, chain, problem: expect.stringMatching(/moved to the archive/) });

    const env = shipgate.cliEnv();
    const verified = await run(['audit', 'verify'], env);
    expect(verified.output).toMatch(/audit log intact/);
    expect(verified.code).toBe(0);

    // Someone edits an archived line: verification names the chain and the entry.
    const file = join(dir, 'audit', encodeURIComponent(chain), firstFile!);
    const edited = lines(file);
    edited[1] = edited[1]!.replace('"version":"1.0.0"', '"version":"9.9.9"');
    expect(edited[1]).toContain('9.9.9');
    writeFileSync(file, edited.map((l) => `${l}\n`).join(''));
    const tampered = await run(['audit', 'verify'], env);
    expect(tampered.code).toBe(1);
    expect(tampered.output).toMatch(new RegExp(`chain ${chain}: BROKEN at entry 2: its content does not match its MAC`));
  }, 120_000);

  it('runs archival as a job scheduler on the workers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-archive-'));
    h = await startShipgate({ config: (url, prefix) => standardConfig(url, prefix, `retention: { after: 30d, archive: "${dir}", every: 1h }`) });
    const { Queue } = await import('bullmq');
    const queue = new Queue('deploy', { connection: h.shipgate.redis, prefix: h.shipgate.prefix });
    try {
      expect(await queue.getJobScheduler('archive')).toMatchObject({ key: 'archive', every: 3_600_000 });
    } finally {
      await queue.close();
    }
  });
});
