import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/domain/policy.js';
import { readHome } from '../../src/service/home-query.js';
import { readStatus } from '../../src/service/status-query.js';
import { CommitPlan } from '../../src/store/commit-script.js';
import { keysFor, type Keys } from '../../src/store/keys.js';
import { pairKey, readLedgers } from '../../src/store/ledger-read.js';
import { writeLedger } from '../../src/store/ledger-write.js';
import { environment, NOW, policy, promotion } from '../domain/fixtures.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';
import { countRoundTrips } from '../support/round-trips.js';
import { deleteKeysUnder, testPrefix } from '../support/test-prefix.js';

const writer = new Redis(TEST_REDIS_URL);
const prefixes: string[] = [];
afterEach(async () => {
  for (const prefix of prefixes.splice(0)) await deleteKeysUnder(writer, prefix);
});
afterAll(() => writer.disconnect());

/** APPS apps, each deployed everywhere and with one promotion waiting for production's approvers. */
async function stored(apps: number) {
  const prefix = testPrefix('ledger-read');
  prefixes.push(prefix);
  const keys = keysFor(prefix);
  const base = policy();
  const names = Array.from({ length: apps }, (_, i) => `app-${i}`);
  const write = writer.pipeline();
  names.forEach((app, i) => {
    for (const env of base.environments.keys()) write.hset(keys.ledger(app, env), 'version', `1.${i}.0`, 'promotion', `sg-${i}`, 'at', NOW);
    const waiting = promotion({ id: `sg-w${i}`, app, version: `1.${i}.1`, state: 'awaiting_approval' });
    write.hset(keys.promotion(waiting.id), 'json', JSON.stringify(waiting), 'rev', 1).zadd(keys.active, NOW, waiting.id);
  });
  await write.exec();
  return { keys, policy: { ...base, apps: new Map(names.map((name) => [name, { name }])) } };
}

describe('the status read', () => {
  it('makes the same two round trips for 3 apps as for 60', async () => {
    const trips: number[] = [];
    for (const apps of [3, 60]) {
      const { keys, policy } = await stored(apps);
      const redis = new Redis(TEST_REDIS_URL);
      await redis.ping();
      const counter = countRoundTrips(redis);
      const status = await readStatus(policy, (pairs) => readLedgers(redis, keys, pairs), null);
      trips.push(counter.count());
      redis.disconnect();
      if (!status.ok) throw new Error(status.reason);
      expect(status.apps).toHaveLength(apps);
      expect(status.apps.at(-1)!.environments.map((e) => [e.name, e.live?.version, e.waiting.map((p) => p.id)])).toEqual([
        ['development', `1.${apps - 1}.0`, []],
        ['staging', `1.${apps - 1}.0`, []],
        ['production', `1.${apps - 1}.0`, [`sg-w${apps - 1}`]],
      ]);
    }
    expect(trips).toEqual([2, 2]);
  });

  it('reads one app the same way, and says which apps exist when asked for an unknown one', async () => {
    const { keys, policy } = await stored(5);
    const status = await readStatus(policy, (pairs) => readLedgers(writer, keys, pairs), 'app-2');
    expect(status.ok && status.apps.map((a) => [a.app, a.environments.map((e) => e.live?.version)])).toEqual([['app-2', ['1.2.0', '1.2.0', '1.2.0']]]);
    expect(await readStatus(policy, (pairs) => readLedgers(writer, keys, pairs), 'nope')).toEqual({ ok: false, reason: 'There is no app called `nope`. Known apps: app-0, app-1, app-2, app-3, app-4.' });
  });
});

const FIVE_ENVIRONMENTS = ['development', 'test', 'staging', 'preprod', 'production'];

/** APPS apps in five environments, half of the pairs deployed, one promotion waiting per app, and a few finished ones. */
async function fiveEnvironments(apps: number): Promise<{ keys: Keys; policy: Policy }> {
  const prefix = testPrefix('ledger-read-5');
  prefixes.push(prefix);
  const keys = keysFor(prefix);
  const names = Array.from({ length: apps }, (_, i) => `app-${i}`);
  const write = writer.pipeline();
  names.forEach((app, i) => {
    FIVE_ENVIRONMENTS.forEach((env, e) => {
      if ((i + e) % 2 === 0) write.hset(keys.ledger(app, env), 'version', `1.${i}.${e}`, 'promotion', `sg-${i}-${e}`, 'at', NOW);
    });
    const waiting = promotion({ id: `sg-w${i}`, app, version: `2.${i}.0`, state: 'awaiting_approval', requestedAt: NOW - i });
    write.hset(keys.promotion(waiting.id), 'json', JSON.stringify(waiting), 'rev', 1).zadd(keys.active, waiting.requestedAt, waiting.id).zadd(keys.all, waiting.requestedAt, waiting.id);
  });
  for (let i = 0; i < 30; i++) {
    const done = promotion({ id: `sg-d${i}`, app: names[i % apps]!, version: `0.${i}.0`, state: 'deployed', requestedAt: NOW - 86_400_000 + i, deployment: { startedAt: NOW - 3_600_000, finishedAt: NOW - 3_000_000, error: null } });
    write.hset(keys.promotion(done.id), 'json', JSON.stringify(done), 'rev', 1).zadd(keys.all, done.requestedAt, done.id);
  }
  await write.exec();
  return { keys, policy: { ...policy(), apps: new Map(names.map((name) => [name, { name }])), environments: new Map(FIVE_ENVIRONMENTS.map((name) => [name, environment(name)])) } };
}

/** The round trips of one run of READ on a connection of its own, and what it answered. */
async function tripsOf<T>(read: (redis: Redis) => Promise<T>): Promise<{ trips: number; answer: T }> {
  const redis = new Redis(TEST_REDIS_URL);
  await redis.ping();
  const counter = countRoundTrips(redis);
  try {
    const answer = await read(redis);
    return { trips: counter.count(), answer };
  } finally {
    redis.disconnect();
  }
}

describe('reads that grow with the configuration', () => {
  it('make as many round trips for 200 apps in 5 environments as for 10, for App Home and the status, before and after the live hash mirrors the ledgers', async () => {
    const trips: Record<string, number[]> = { statusFirst: [], statusAgain: [], home: [] };
    for (const apps of [10, 200]) {
      const { keys, policy } = await fiveEnvironments(apps);
      const pairs = [...policy.apps.keys()].flatMap((app) => FIVE_ENVIRONMENTS.map((env) => [app, env] as const));
      const status = (redis: Redis) => readStatus(policy, (p) => readLedgers(redis, keys, p), null);
      // The first read copies the ledgers written before the live hash into it; the next ones read it alone.
      const first = await tripsOf(status);
      const again = await tripsOf(status);
      const home = await tripsOf((redis) => readHome(policy, (p) => readLedgers(redis, keys, p), { redis, keys, pairs, failureWindowMs: 86_400_000, resolveWithinMs: 86_400_000, now: () => NOW }));
      trips.statusFirst!.push(first.trips);
      trips.statusAgain!.push(again.trips);
      trips.home!.push(home.trips);
      for (const answer of [first.answer, again.answer]) {
        if (!answer.ok) throw new Error(answer.reason);
        expect(answer.apps).toHaveLength(apps);
        expect(answer.apps.at(-1)!.environments.map((e) => [e.name, e.live?.version ?? null, e.waiting.map((p) => p.id)])).toEqual(
          FIVE_ENVIRONMENTS.map((env, e) => [env, (apps - 1 + e) % 2 === 0 ? `1.${apps - 1}.${e}` : null, env === 'production' ? [`sg-w${apps - 1}`] : []]),
        );
      }
      const production = home.answer.find((d) => d.environment === 'production')!;
      expect([production.counts.apps, production.counts.waiting, production.numbers.deployments]).toEqual([apps, apps, 30]);
    }
    // App Home issues its reads at once, so they travel as one round trip.
    expect(trips).toEqual({ statusFirst: [2, 2], statusAgain: [2, 2], home: [1, 1] });
  });

  it('shows a deployment committed after the live hash recorded nothing there, and ledgers written before it existed', async () => {
    const { keys } = await fiveEnvironments(3);
    const read = () => readLedgers(writer, keys, [['app-0', 'test'], ['app-0', 'staging']]);
    // app-0 runs nothing in test (the live hash now says so) and 1.0.2 in staging (copied from its ledger).
    expect([...(await read()).live]).toEqual([[pairKey('app-0', 'staging'), { version: '1.0.2', promotionId: 'sg-0-2', at: NOW }]]);
    expect(await writer.hget(keys.live, pairKey('app-0', 'test'))).toBe('null');
    const plan = new CommitPlan();
    writeLedger(plan, keys, { app: 'app-0', environment: 'test', version: '1.9.0', promotionId: 'sg-9', at: NOW + 1 });
    expect(await plan.run(writer)).toBe(true);
    expect((await read()).live.get(pairKey('app-0', 'test'))).toEqual({ version: '1.9.0', promotionId: 'sg-9', at: NOW + 1 });
  });
});
