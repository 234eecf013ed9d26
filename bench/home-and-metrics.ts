/**
 * App Home and /metrics with a long history: stores 100 finished promotions, then
 * 10,000, spread over 90 days, 8 apps and 3 environments, written straight to Redis
 * through the store's keys. Prints the time of one App Home render (the reads and the
 * view) and of one scrape of the delivery metrics (the registry's `metrics()`) at 10,000
 * as a ratio to the same at 100, and the Redis round trips each makes. Prints, asserts
 * nothing.
 *
 * The scrape here reads the figures and the last audit verification, as `serve` does; the
 * BullMQ queue counts (three more round trips, whatever the history) are left out.
 *
 *   npx tsx bench/home-and-metrics.ts        (BENCH_ROUNDS=5: the median of that many runs)
 */
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { registerDeliveryMetrics } from '../src/delivery-metrics.js';
import type { Promotion } from '../src/domain/promotion.js';
import { readHome } from '../src/service/home-query.js';
import { readFigures, type DeliverySource } from '../src/service/delivery-report.js';
import { appHome } from '../src/slack/views/app-home.js';
import { lastVerification } from '../src/store/audit-verification.js';
import { keysFor, type Keys } from '../src/store/keys.js';
import { readLedgers } from '../src/store/ledger-read.js';
import { policy as basePolicy, promotion } from '../test/domain/fixtures.js';
import { TEST_REDIS_URL } from '../test/support/global-setup.js';
import { countRoundTrips } from '../test/support/round-trips.js';
import { deleteKeysUnder, testPrefix } from '../test/support/test-prefix.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DAY = 86_400_000;
const APPS = Array.from({ length: 8 }, (_, i) => `app-${i}`);
const policy = { ...basePolicy(), apps: new Map(APPS.map((name) => [name, { name }])) };
const ENVIRONMENTS = [...policy.environments.keys()];
const PAIRS = APPS.flatMap((app) => ENVIRONMENTS.map((env) => [app, env] as const));

/** COUNT finished promotions, evenly over the 90 days before NOW: mostly deployed, some failed, every tenth a rollback. */
async function store(redis: Redis, keys: Keys, count: number, now: number): Promise<void> {
  const batch = 500;
  for (let start = 0; start < count; start += batch) {
    const write = redis.pipeline();
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const [app, environment] = PAIRS[i % PAIRS.length]!;
      const requestedAt = now - 90 * DAY + Math.floor((i * 90 * DAY) / count);
      const finishedAt = requestedAt + (1 + (i % 7)) * 600_000;
      const rollback = i % 10 === 9;
      const p: Promotion = promotion({
        id: `sg-${i + 1}`,
        app,
        environment,
        version: `1.${i}.0`,
        kind: rollback ? 'rollback' : 'promote',
        rollbackOf: rollback ? `sg-${i + 1 - PAIRS.length}` : null,
        state: i % 13 === 0 ? 'failed' : 'deployed',
        approvals: [{ user: 'URITA', at: requestedAt }],
        deployment: { startedAt: finishedAt - 60_000, finishedAt, error: null },
        requestedAt,
      });
      write.hset(keys.promotion(p.id), 'json', JSON.stringify(p), 'rev', 1).zadd(keys.all, requestedAt, p.id);
      if (p.state === 'deployed') write.hset(keys.ledger(app, environment), 'version', p.version, 'promotion', p.id, 'at', finishedAt);
    }
    await write.exec();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The median time of ROUNDS runs of WORK, and the round trips of one, on a connection of its own. */
async function measure(work: (redis: Redis) => Promise<unknown>): Promise<{ ms: number; trips: number }> {
  const redis = new Redis(TEST_REDIS_URL);
  await redis.ping();
  const counter = countRoundTrips(redis);
  await work(redis); // warm-up, and the count of one run
  const trips = counter.count();
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await work(redis);
    times.push(performance.now() - started);
  }
  redis.disconnect();
  return { ms: median(times), trips };
}

async function at(count: number) {
  const writer = new Redis(TEST_REDIS_URL);
  const prefix = testPrefix('bench-home');
  const keys = keysFor(prefix);
  const now = Date.now();
  try {
    await store(writer, keys, count, now);
    const source = (redis: Redis): DeliverySource => ({ redis, keys, pairs: PAIRS, failureWindowMs: DAY, resolveWithinMs: DAY, now: () => now });
    const home = await measure(async (redis) => appHome(await readHome(policy, (pairs) => readLedgers(redis, keys, pairs), source(redis)), []));
    const scrape = await measure(async (redis) => {
      const registry = new Registry();
      registerDeliveryMetrics(registry, async () => {
        const [figures, audit] = await Promise.all([readFigures(source(redis), 30 * DAY), lastVerification(redis, keys)]);
        return { figures, audit, queues: [] };
      });
      return registry.metrics();
    });
    return { home, scrape };
  } finally {
    await deleteKeysUnder(writer, prefix);
    writer.disconnect();
  }
}

const small = await at(100);
const large = await at(10_000);
const row = (name: string, a: { ms: number; trips: number }, b: { ms: number; trips: number }) =>
  `${name.padEnd(24)} ${a.ms.toFixed(1).padStart(8)} ms ${b.ms.toFixed(1).padStart(9)} ms ${(b.ms / a.ms).toFixed(1).padStart(7)}x ${String(a.trips).padStart(7)} ${String(b.trips).padStart(8)}`;
console.log(`${APPS.length} apps x ${ENVIRONMENTS.length} environments, finished promotions over 90 days; median of ${ROUNDS} runs`);
console.log(`${''.padEnd(24)} ${'at 100'.padStart(11)} ${'at 10,000'.padStart(12)} ${'ratio'.padStart(8)} ${'trips@100'.padStart(7)} ${'trips@10k'.padStart(8)}`);
console.log(row('App Home (read + view)', small.home, large.home));
console.log(row('/metrics scrape', small.scrape, large.scrape));
