import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readStatus } from '../../src/service/status-query.js';
import { keysFor } from '../../src/store/keys.js';
import { readLedgers } from '../../src/store/ledger-read.js';
import { NOW, policy, promotion } from '../domain/fixtures.js';
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
