/**
 * App Home, `/promote status` and /metrics as the configuration grows: 10,000 finished
 * promotions spread over 90 days, with 10 apps and then with 200 apps, each in 5
 * environments, and 20 promotions waiting. Written straight to Redis through the
 * store's keys. Prints the time of one App Home render (the reads and the view), one
 * status reply (the reads and the text) and one scrape of the delivery metrics, the
 * ratio 200 apps / 10 apps next to its 3x target, and the Redis round trips each
 * makes (counted on the client: one per command sent alone, one per pipeline). Then
 * the same at 10 apps with 100 finished promotions against 10,000. Prints, asserts
 * nothing.
 *
 * Ledgers are written straight to their hashes, as before the live hash mirrored them:
 * the first read of each figure (not timed; its round trips are the ones counted)
 * mirrors them, as the first status after an upgrade does.
 *
 * The scrape here reads the figures and the last audit verification, as `serve` does; the
 * BullMQ queue counts (three more round trips, whatever the history) are left out.
 *
 *   npx tsx --expose-gc bench/home-and-metrics.ts        (BENCH_ROUNDS=5: the median of that many runs)
 */
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { registerDeliveryMetrics } from '../src/delivery-metrics.js';
import type { Policy } from '../src/domain/policy.js';
import type { Promotion } from '../src/domain/promotion.js';
import { readHome } from '../src/service/home-query.js';
import { readFigures, type DeliverySource } from '../src/service/delivery-report.js';
import { readStatus } from '../src/service/status-query.js';
import { appHome } from '../src/slack/views/app-home.js';
import { statusText } from '../src/slack/views/status.js';
import { lastVerification } from '../src/store/audit-verification.js';
import { keysFor, type Keys } from '../src/store/keys.js';
import { readLedgers } from '../src/store/ledger-read.js';
import { approvals, environment, promotion } from '../test/domain/fixtures.js';
import { TEST_REDIS_URL } from '../test/support/global-setup.js';
import { countRoundTrips } from '../test/support/round-trips.js';
import { deleteKeysUnder, testPrefix } from '../test/support/test-prefix.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DAY = 86_400_000;
const TARGET_RATIO = 3;
const WAITING = 20;
const ENVIRONMENTS = ['development', 'test', 'staging', 'preprod', 'production'];

/** APPS apps, each in 5 environments promoted one to the next, production with two approvers. */
function policyOf(apps: number): Policy {
  return {
    apps: new Map(Array.from({ length: apps }, (_, i) => [`app-${i}`, { name: `app-${i}` }])),
    environments: new Map(ENVIRONMENTS.map((name, i) => [name, environment(name, { from: ENVIRONMENTS[i - 1] ?? null, approvals: name === 'production' ? approvals() : undefined })])),
    configHash: 'c0ffee',
  };
}

const pairsOf = (policy: Policy) => [...policy.apps.keys()].flatMap((app) => ENVIRONMENTS.map((env) => [app, env] as const));

/**
 * COUNT finished promotions, evenly over the 90 days before NOW and over every app and
 * environment: mostly deployed, some failed, every tenth a rollback; and WAITING more
 * awaiting approval in production.
 */
async function store(redis: Redis, keys: Keys, pairs: (readonly [string, string])[], count: number, now: number): Promise<void> {
  const batch = 500;
  for (let start = 0; start < count; start += batch) {
    const write = redis.pipeline();
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const [app, environment] = pairs[i % pairs.length]!;
      const requestedAt = now - 90 * DAY + Math.floor((i * 90 * DAY) / count);
      const finishedAt = requestedAt + (1 + (i % 7)) * 600_000;
      const rollback = i % 10 === 9;
      const p: Promotion = promotion({
        id: `sg-${i + 1}`,
        app,
        environment,
        version: `1.${i}.0`,
        kind: rollback ? 'rollback' : 'promote',
        rollbackOf: rollback ? `sg-${i + 1 - pairs.length}` : null,
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
  const waiting = redis.pipeline();
  for (let i = 0; i < WAITING; i++) {
    const app = pairs[(i * ENVIRONMENTS.length) % pairs.length]![0];
    const p = promotion({ id: `sg-w${i}`, app, environment: 'production', version: `2.${i}.0`, state: 'awaiting_approval', requestedAt: now - i * 60_000 });
    waiting.hset(keys.promotion(p.id), 'json', JSON.stringify(p), 'rev', 1).zadd(keys.all, p.requestedAt, p.id).zadd(keys.active, p.requestedAt, p.id);
  }
  await waiting.exec();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The median time of ROUNDS runs of WORK, and the round trips of one, on a connection of its own. */
async function measure(work: (redis: Redis) => Promise<unknown>, rounds = ROUNDS): Promise<{ ms: number; trips: number }> {
  const redis = new Redis(TEST_REDIS_URL);
  await redis.ping();
  const counter = countRoundTrips(redis);
  await work(redis); // warm-up, and the count of one run
  const trips = counter.count();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // With --expose-gc, each run starts on a collected heap, not in the garbage the last Home render left.
    (globalThis as { gc?: () => void }).gc?.();
    const started = performance.now();
    await work(redis);
    times.push(performance.now() - started);
  }
  redis.disconnect();
  return { ms: median(times), trips };
}

type Figure = { ms: number; trips: number };

async function at(apps: number, count: number): Promise<{ home: Figure; status: Figure; scrape: Figure }> {
  const writer = new Redis(TEST_REDIS_URL);
  const prefix = testPrefix('bench-home');
  const keys = keysFor(prefix);
  const policy = policyOf(apps);
  const pairs = pairsOf(policy);
  const now = Date.now();
  try {
    await store(writer, keys, pairs, count, now);
    const source = (redis: Redis): DeliverySource => ({ redis, keys, pairs, failureWindowMs: DAY, resolveWithinMs: DAY, now: () => now });
    const status = await measure(async (redis) => {
      const read = await readStatus(policy, (p) => readLedgers(redis, keys, p), null);
      if (!read.ok) throw new Error(read.reason);
      return statusText(read.apps);
    }, ROUNDS * 6);
    const home = await measure(async (redis) => appHome(await readHome(policy, (p) => readLedgers(redis, keys, p), source(redis)), []));
    const scrape = await measure(async (redis) => {
      const registry = new Registry();
      registerDeliveryMetrics(registry, async () => {
        const [figures, audit] = await Promise.all([readFigures(source(redis), 30 * DAY), lastVerification(redis, keys)]);
        return { figures, audit, queues: [] };
      });
      return registry.metrics();
    });
    return { home, status, scrape };
  } finally {
    await deleteKeysUnder(writer, prefix);
    writer.disconnect();
  }
}

const pad = (text: string, width: number) => text.padStart(width);
function table(title: string, a: string, b: string, rows: [string, Figure, Figure][], target: number | null): void {
  console.log(title);
  console.log(`${''.padEnd(24)} ${pad(a, 11)} ${pad(b, 11)} ${pad('ratio', 7)} ${pad('target', 7)} ${pad(`trips ${a}`, 14)} ${pad(`trips ${b}`, 14)}`);
  for (const [name, x, y] of rows) {
    const ratio = y.ms / x.ms;
    const verdict = target === null ? '—' : `${target}x`;
    console.log(`${name.padEnd(24)} ${pad(`${x.ms.toFixed(1)} ms`, 11)} ${pad(`${y.ms.toFixed(1)} ms`, 11)} ${pad(`${ratio.toFixed(1)}x`, 7)} ${pad(verdict, 7)} ${pad(String(x.trips), 14)} ${pad(String(y.trips), 14)}`);
  }
}

console.log(`5 environments, ${WAITING} promotions waiting, finished promotions over 90 days; median of ${ROUNDS} runs (${ROUNDS * 6} for the status, measured first)`);
const few = await at(10, 10_000);
const many = await at(200, 10_000);
table(
  '\nwith 10,000 finished promotions: 10 apps against 200 (target: 200 apps at most 3x the time of 10, in as many round trips)',
  '10 apps',
  '200 apps',
  [
    ['App Home (read + view)', few.home, many.home],
    ['/promote status', few.status, many.status],
    ['/metrics scrape', few.scrape, many.scrape],
  ],
  TARGET_RATIO,
);
const short = await at(10, 100);
table(
  '\nwith 10 apps: 100 finished promotions against 10,000',
  'at 100',
  'at 10,000',
  [
    ['App Home (read + view)', short.home, few.home],
    ['/promote status', short.status, few.status],
    ['/metrics scrape', short.scrape, few.scrape],
  ],
  null,
);
