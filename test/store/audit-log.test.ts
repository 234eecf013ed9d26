import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accept } from '../../src/domain/decision.js';
import type { AuditEntry } from '../../src/store/audit-chain.js';
import { signCheckpoint } from '../../src/store/audit-checkpoint.js';
import { AuditLog, type ChainReport } from '../../src/store/audit-log.js';
import { AuditWriter } from '../../src/store/audit-writer.js';
import { keysFor, type Keys } from '../../src/store/keys.js';
import { PromotionStore } from '../../src/store/promotion-store.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';
import { deleteKeysUnder, testPrefix } from '../support/test-prefix.js';
import { testAuditKey } from '../support/start-shipgate.js';
import { promotion } from '../domain/fixtures.js';

const redis = new Redis(TEST_REDIS_URL);
const second = new Redis(TEST_REDIS_URL);
afterAll(() => {
  redis.disconnect();
  second.disconnect();
});
const key = testAuditKey();
const ENVIRONMENTS = ['development', 'staging', 'production'];

describe('the audit log', () => {
  let prefix: string;
  let keys: Keys;
  afterEach(() => deleteKeysUnder(redis, prefix));
  let stores: PromotionStore[];
  beforeEach(async () => {
    prefix = testPrefix('audit');
    keys = keysFor(prefix);
    stores = [redis, second].map((connection) => new PromotionStore(connection, keys, () => Date.UTC(2026, 10, 24), new AuditWriter(keys, key)));
    for (const [i, environment] of ENVIRONMENTS.entries()) {
      await stores[0]!.create('web', environment, ENVIRONMENTS, () => accept(promotion({ id: `sg-${i + 1}`, environment }), [{ type: 'requested', actor: 'UALICE' }], []));
    }
  });

  const approve = (store: PromotionStore, id: string, actor: string) => store.transition(id, (p) => accept(p, [{ type: 'approved', actor }], []));
  const collect = async (reports: AsyncIterable<ChainReport>) => {
    const all: ChainReport[] = [];
    for await (const report of reports) all.push(report);
    return all;
  };

  it('verifies page by page while two writers keep appending, and never mistakes a new entry for a break', async () => {
    const log = new AuditLog(redis, keys, key, { pageSize: 4 });
    let writing = true;
    const writers = stores.map(async (store, w) => {
      for (let i = 0; i < 60; i++) await approve(store, `sg-${(i % 3) + 1}`, `U${w}${i}`);
    });
    const done = Promise.all(writers).then(() => (writing = false));
    const verdicts = [];
    while (writing) verdicts.push(await log.verify());
    await done;
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts.filter((v) => !v.ok)).toEqual([]);
    expect(await log.verify()).toEqual({ ok: true, entries: 3 + 120 });
  });

  it('reports every chain on its own, in name order, naming the broken one', async () => {
    await approve(stores[0]!, 'sg-2', 'U0LEAD');
    const raw = await redis.lindex(keys.auditLog('web:staging'), 1);
    await redis.lset(keys.auditLog('web:staging'), 1, JSON.stringify({ ...(JSON.parse(raw!) as AuditEntry), actor: 'UMALLORY' }));
    const reports = await collect(new AuditLog(redis, keys, key, { pageSize: 1 }).checkAll());
    expect(reports.map((r) => [r.chain, r.check.ok])).toEqual([
      ['web:development', true],
      ['web:production', true],
      ['web:staging', false],
    ]);
    expect(reports[2]!.check).toMatchObject({ seq: 2, problem: expect.stringMatching(/edited/) as string });
    expect(await new AuditLog(redis, keys, key).verify()).toMatchObject({ ok: false, chain: 'web:staging', seq: 2 });
  });

  it('reports a chain deleted outright, whether its name is still in the index or only in a checkpoint', async () => {
    const log = new AuditLog(redis, keys, key);
    const [production] = (await collect(log.checkAll())).filter((r) => r.chain === 'web:production');
    const checkpoint = signCheckpoint(key, { chain: 'web:production', seq: production!.tip!.seq, mac: production!.tip!.mac, at: 'now' });
    await redis.del(keys.auditLog('web:production'), keys.auditHead('web:production'));
    expect(await log.verify()).toMatchObject({ ok: false, chain: 'web:production', problem: expect.stringMatching(/no entries left/) as string });
    await redis.srem(keys.auditChains, 'web:production');
    expect(await log.verify()).toEqual({ ok: true, entries: 2 });
    const reports = await collect(log.checkAll({ checkpoints: [checkpoint] }));
    expect(reports.find((r) => r.chain === 'web:production')?.check).toMatchObject({ ok: false });
  });

  it('finds a chain truncated to an earlier head only against a checkpoint taken before', async () => {
    for (let i = 0; i < 4; i++) await approve(stores[i % 2]!, 'sg-3', `U${i}`);
    const log = new AuditLog(redis, keys, key, { pageSize: 2 });
    const tip = (await collect(log.checkAll())).find((r) => r.chain === 'web:production')!.tip!;
    expect(tip.seq).toBe(5);
    const checkpoint = signCheckpoint(key, { chain: 'web:production', seq: tip.seq, mac: tip.mac, at: 'now' });
    // Someone with Redis access drops the last two entries and points the head at the third.
    const third = JSON.parse((await redis.lindex(keys.auditLog('web:production'), 2))!) as AuditEntry;
    await redis.ltrim(keys.auditLog('web:production'), 0, 2);
    await redis.set(keys.auditHead('web:production'), `3:${third.mac}`);
    expect(await log.verify()).toEqual({ ok: true, entries: 5 });
    const reports = await collect(log.checkAll({ checkpoints: [checkpoint] }));
    expect(reports.find((r) => r.chain === 'web:production')?.check).toMatchObject({ ok: false, problem: expect.stringMatching(/history was truncated/) as string });
  });
});
