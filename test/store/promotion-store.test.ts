import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accept, refuse } from '../../src/domain/decision.js';
import type { AlertRecord } from '../../src/domain/alerts.js';
import { AlertStore } from '../../src/store/alert-store.js';
import { GENESIS } from '../../src/store/audit-chain.js';
import { AuditLog } from '../../src/store/audit-log.js';
import { AuditWriter } from '../../src/store/audit-writer.js';
import { keysFor, type Keys } from '../../src/store/keys.js';
import { withScripts } from '../../src/store/lua-scripts.js';
import { PromotionStore } from '../../src/store/promotion-store.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';
import { deleteKeysUnder, testPrefix } from '../support/test-prefix.js';
import { testAuditKey } from '../support/start-shipgate.js';
import { promotion } from '../domain/fixtures.js';

const redis = new Redis(TEST_REDIS_URL);
afterAll(() => redis.disconnect());
const key = testAuditKey();
const NOW = Date.UTC(2026, 10, 24);

describe('the promotion store', () => {
  let prefix: string;
  let keys: Keys;
  afterEach(() => deleteKeysUnder(redis, prefix));
  let store: PromotionStore;
  beforeEach(() => {
    prefix = testPrefix('store');
    keys = keysFor(prefix);
    store = new PromotionStore(redis, keys, () => NOW, new AuditWriter(keys, key));
  });

  const create = (id = 'sg-1', environment = 'production') =>
    store.create('web', environment, ['staging', 'production'], () => accept(promotion({ id, environment }), [{ type: 'requested', actor: 'UALICE' }], []));

  it('creates a record, takes the in-flight slot and starts its app and environment audit chain in one step', async () => {
    expect(await create()).toMatchObject({ kind: 'accept', rev: 1 });
    expect(await store.get('sg-1')).toMatchObject({ rev: 1, promotion: { id: 'sg-1', state: 'awaiting_approval' } });
    expect(await redis.hget(keys.inFlight('web', 'production'), 'id')).toBe('sg-1');
    const entries = await redis.lrange(keys.auditLog('web:production'), 0, -1);
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]!)).toMatchObject({ chain: 'web:production', seq: 1, prev: GENESIS, type: 'requested', promotion: 'sg-1', config: 'c0ffee', mac: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
    expect(await redis.smembers(keys.auditChains)).toEqual(['web:production']);
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
    expect(await new AuditLog(redis, keys, key).verify()).toEqual({ ok: true, entries: 21 });
  });

  it('records an audited refusal without touching the record', async () => {
    await create();
    expect(await store.transition('sg-1', () => refuse('no', { type: 'approval_refused', actor: 'UX' }))).toEqual({ kind: 'refuse', reason: 'no' });
    expect((await store.get('sg-1'))?.rev).toBe(1);
    expect(await redis.llen(keys.auditLog('web:production'))).toBe(2);
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

  /** A store whose next commit waits until `meanwhile` has run: a second replica committing between our reads and our commit. */
  function racingStore() {
    const connection = withScripts(new Redis(TEST_REDIS_URL));
    const realCommit = connection.shipgateCommit.bind(connection);
    const race = { meanwhile: null as (() => Promise<unknown>) | null, commits: 0 };
    connection.shipgateCommit = async (...args: Parameters<typeof realCommit>) => {
      race.commits++;
      const meanwhile = race.meanwhile;
      race.meanwhile = null;
      if (meanwhile) await meanwhile();
      return realCommit(...args);
    };
    return { store: new PromotionStore(connection, keys, () => NOW, new AuditWriter(keys, key)), race, close: () => connection.disconnect() };
  }

  it('never makes a transition on one environment retry because another environment committed meanwhile', async () => {
    await create('sg-1', 'production');
    await create('sg-2', 'staging');
    const racing = racingStore();
    racing.race.meanwhile = () => store.transition('sg-2', (q) => accept(q, [{ type: 'approved', actor: 'ULEAD' }], []));
    await racing.store.transition('sg-1', (p) => accept(p, [{ type: 'approved', actor: 'URITA' }], []));
    racing.close();
    expect(racing.race.commits).toBe(1);
    expect(await redis.llen(keys.auditLog('web:staging'))).toBe(2);
    expect((await redis.smembers(keys.auditChains)).sort()).toEqual(['web:production', 'web:staging']);
    expect(await new AuditLog(redis, keys, key).verify()).toEqual({ ok: true, entries: 4 });
  });

  it('still orders two commits on the same environment: the later one decides again', async () => {
    await create('sg-1', 'production');
    const racing = racingStore();
    racing.race.meanwhile = () => store.transition('sg-1', (q) => accept(q, [{ type: 'approved', actor: 'URAJ' }], []));
    await racing.store.transition('sg-1', (p) => accept(p, [{ type: 'approved', actor: 'URITA' }], []));
    racing.close();
    expect(racing.race.commits).toBe(2);
    expect(await new AuditLog(redis, keys, key).verify()).toEqual({ ok: true, entries: 3 });
  });

  it('puts an alert for an app it does not know on the unscoped chain, and one for a known app on that app and environment', async () => {
    const writer = new AuditWriter(keys, key, { scoped: (app, env) => app === 'web' && env === 'production' });
    const alerts = new AlertStore(redis, keys, () => NOW, writer);
    const record = (app: string): AlertRecord => ({
      key: `k-${app}`, source: 'generic', id: app, status: 'firing', title: 'errors', severity: 'critical', url: null, app, environment: 'production', startsAt: 0, receivedAt: NOW, resolvedAt: null,
      match: { promotionId: null, currentVersion: null, previousVersion: null, deployedAt: null }, message: { channel: 'C0PROD', ts: null }, rollback: null,
    });
    for (const app of ['ghost', 'web']) {
      await alerts.transition(`k-${app}`, () => ({ kind: 'accept', next: record(app), audit: [{ type: 'alert_received', actor: 'generic' }], effects: [] }));
    }
    expect((await redis.lrange(keys.auditLog('global'), 0, -1)).map((e) => JSON.parse(e) as { app: string; chain: string })).toEqual([expect.objectContaining({ app: 'ghost', chain: 'global' })]);
    expect(await redis.llen(keys.auditLog('web:production'))).toBe(1);
    expect(await new AuditLog(redis, keys, key).verify()).toEqual({ ok: true, entries: 2 });
  });
});

describe('the in-flight slot and retried expectations', () => {
  const redis2 = new Redis(TEST_REDIS_URL);
  afterAll(() => redis2.disconnect());
  let prefix: string;
  let keys: Keys;
  let store: PromotionStore;
  beforeEach(() => {
    prefix = testPrefix('slot');
    keys = keysFor(prefix);
    store = new PromotionStore(redis2, keys, () => Date.UTC(2026, 10, 24), new AuditWriter(keys, testAuditKey()));
  });
  afterEach(async () => deleteKeysUnder(redis2, prefix));

  it('hands the slot of a deployment that ends to the rollback queued behind it', async () => {
    await store.create('web', 'production', ['production'], (_s, id) => accept(promotion({ id, state: 'deploying', queuedRollback: 'sg-99' }), [{ type: 'requested', actor: 'UALICE' }], []));
    await store.transition('sg-1', (p) => accept({ ...p, state: 'deployed' }, [{ type: 'deployed', actor: 'shipgate' }], []));
    expect(await redis2.hget(keys.inFlight('web', 'production'), 'id')).toBe('sg-99');
  });

  it('reads expectations again on every attempt, so one change in between does not fail the transition', async () => {
    await store.create('web', 'production', ['production'], (_s, id) => accept(promotion({ id }), [{ type: 'requested', actor: 'UALICE' }], []));
    await redis2.hset(keys.ledger('web', 'staging'), 'version', '1.4.2');
    let reads = 0;
    const outcome = await store.transition(
      'sg-1',
      (p) => accept({ ...p, reason: 'checked' }, [], []),
      async () => {
        reads++;
        // The first read is already stale when the commit runs: another process moved staging on.
        if (reads === 1) {
          await redis2.hset(keys.ledger('web', 'staging'), 'version', '1.4.3');
          return [{ key: keys.ledger('web', 'staging'), field: 'version', value: '1.4.2' }];
        }
        return [{ key: keys.ledger('web', 'staging'), field: 'version', value: await redis2.hget(keys.ledger('web', 'staging'), 'version') }];
      },
    );
    expect(outcome.kind).toBe('accept');
    expect(reads).toBe(2);
  });
});
