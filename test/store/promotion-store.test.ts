import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { accept, refuse } from '../../src/domain/decision.js';
import { GENESIS, sealEntry, verifyChain } from '../../src/store/audit-chain.js';
import { AuditLog } from '../../src/store/audit-log.js';
import { keysFor, type Keys } from '../../src/store/keys.js';
import { PromotionStore } from '../../src/store/promotion-store.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';
import { promotion } from '../domain/fixtures.js';

const redis = new Redis(TEST_REDIS_URL);
afterAll(() => redis.disconnect());

describe('the promotion store', () => {
  let keys: Keys;
  let store: PromotionStore;
  beforeEach(() => {
    keys = keysFor(`{t-${randomBytes(4).toString('hex')}}`);
    store = new PromotionStore(redis, keys, () => Date.UTC(2026, 10, 24));
  });

  const create = (id = 'sg-1') => store.create('web', 'production', ['staging', 'production'], () => accept(promotion({ id }), [{ type: 'requested', actor: 'UALICE' }], []));

  it('creates a record, takes the in-flight slot and starts the audit chain in one step', async () => {
    expect(await create()).toMatchObject({ kind: 'accept', rev: 1 });
    expect(await store.get('sg-1')).toMatchObject({ rev: 1, promotion: { id: 'sg-1', state: 'awaiting_approval' } });
    expect(await redis.hget(keys.inFlight('web', 'production'), 'id')).toBe('sg-1');
    const entries = await redis.lrange(keys.auditLog, 0, -1);
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]!)).toMatchObject({ seq: 1, prev: GENESIS, type: 'requested', promotion: 'sg-1', config: 'c0ffee' });
  });

  it('applies concurrent transitions one after the other, never losing one (compare-and-set)', async () => {
    await create();
    const users = Array.from({ length: 20 }, (_, i) => `U${i}`);
    await Promise.all(
      users.map((user) =>
        store.transition('sg-1', (p) => accept({ ...p, approvals: [...p.approvals, { user, at: 0 }] }, [{ type: 'approved', actor: user }], [])),
      ),
    );
    const stored = await store.get('sg-1');
    expect(stored?.rev).toBe(21);
    expect(stored?.promotion.approvals.map((a) => a.user).sort()).toEqual([...users].sort());
    expect(await new AuditLog(redis, keys).verify()).toEqual({ ok: true, entries: 21 });
  });

  it('records an audited refusal without touching the record', async () => {
    await create();
    expect(await store.transition('sg-1', () => refuse('no', { type: 'approval_refused', actor: 'UX' }))).toEqual({ kind: 'refuse', reason: 'no' });
    expect((await store.get('sg-1'))?.rev).toBe(1);
    expect(await redis.llen(keys.auditLog)).toBe(2);
  });

  it('frees the in-flight slot and updates the ledger when a deployment ends', async () => {
    await create();
    await store.transition('sg-1', (p) =>
      accept({ ...p, state: 'deployed' }, [{ type: 'deployed', actor: 'shipgate' }], [], { ledger: { app: 'web', environment: 'production', version: '1.4.2', promotionId: 'sg-1', at: 5 } }),
    );
    expect(await redis.exists(keys.inFlight('web', 'production'))).toBe(0);
    expect(await store.current('web', 'production')).toEqual({ version: '1.4.2', promotionId: 'sg-1', at: 5 });
    expect(await store.history('web', 'production')).toEqual([{ version: '1.4.2', promotionId: 'sg-1', at: 5 }]);
    expect(await store.active()).toEqual([]);
  });
});

describe('the audit chain', () => {
  const chain = (n: number) => {
    const out: string[] = [];
    let prev = GENESIS;
    for (let seq = 1; seq <= n; seq++) {
      const e = sealEntry({ seq, at: 't', prev, type: 'x', actor: 'U', promotion: null, app: null, environment: null, version: null, config: null, detail: { n: seq } });
      out.push(JSON.stringify(e));
      prev = e.hash;
    }
    return { entries: out, head: `${n}:${prev}` };
  };

  it('accepts an intact chain whatever the key order of the stored JSON', () => {
    const { entries, head } = chain(3);
    const reordered = entries.map((e) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(e) as object).reverse())));
    expect(verifyChain(reordered, head)).toEqual({ ok: true, entries: 3 });
  });

  it('finds an edited entry, a removed entry and a swapped pair', () => {
    const { entries, head } = chain(4);
    const edited = [...entries];
    edited[2] = edited[2]!.replace('"actor":"U"', '"actor":"V"');
    expect(verifyChain(edited, head)).toMatchObject({ ok: false, seq: 3, problem: expect.stringMatching(/edited/) as string });
    expect(verifyChain([entries[0]!, entries[2]!, entries[3]!], head)).toMatchObject({ ok: false, seq: 2 });
    expect(verifyChain([entries[1]!, entries[0]!, ...entries.slice(2)], head)).toMatchObject({ ok: false, seq: 1 });
    expect(verifyChain(entries.slice(0, 3), head)).toMatchObject({ ok: false, problem: expect.stringMatching(/head/) as string });
  });
});
