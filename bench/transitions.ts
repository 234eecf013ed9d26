/**
 * Audited transitions per second on 8 environments (2 apps x 4 environments), with two
 * writers on separate Redis connections (two replicas' worth), each driving half of the
 * environments concurrently. Runs the same commits three ways, in the same Redis:
 *
 *   - no audit entries at all (the baseline),
 *   - every entry on one shared chain (the single serialization point of before),
 *   - one chain per app and environment (now),
 *
 * and prints each as a ratio to the baseline, with commit attempts per commit (1.00
 * means no commit ever had to re-read and decide again).
 *
 *   npx tsx bench/transitions.ts        (BENCH_TRANSITIONS=1000 per environment, BENCH_ROUNDS=3)
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { accept } from '../src/domain/decision.js';
import { AuditWriter } from '../src/store/audit-writer.js';
import { keysFor } from '../src/store/keys.js';
import { PromotionStore } from '../src/store/promotion-store.js';
import { TEST_REDIS_URL } from '../test/support/global-setup.js';
import { testAuditKey } from '../test/support/start-shipgate.js';
import { promotion } from '../test/domain/fixtures.js';

const TRANSITIONS = Number(process.env.BENCH_TRANSITIONS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const APPS = ['web', 'api'];
const ENVIRONMENTS = ['development', 'qa', 'staging', 'production'];
/** Audited commits keep at least half the throughput of unaudited ones, with at most 1.1 attempts per commit. */
const THROUGHPUT_TARGET = 0.5;
const ATTEMPTS_TARGET = 1.1;
const PAIRS = APPS.flatMap((app) => ENVIRONMENTS.map((environment) => ({ app, environment })));

type Mode = 'no audit' | 'one shared chain (before)' | 'a chain per app and environment';

async function run(mode: Mode): Promise<{ perSecond: number; attemptsPerCommit: number }> {
  const prefix = `{bench-${randomBytes(4).toString('hex')}}`;
  const keys = keysFor(prefix);
  const key = testAuditKey();
  const writer = new AuditWriter(keys, key, mode === 'one shared chain (before)' ? { sharedChain: 'all' } : {});
  const connections = [new Redis(TEST_REDIS_URL), new Redis(TEST_REDIS_URL)];
  const stores = connections.map((redis) => new PromotionStore(redis, keys, () => Date.now(), writer));
  const audited = mode !== 'no audit';

  const ids: string[] = [];
  for (const [i, { app, environment }] of PAIRS.entries()) {
    const id = `sg-${i + 1}`;
    ids.push(id);
    await stores[0]!.create(app, environment, ENVIRONMENTS, () => accept(promotion({ id, app, environment }), audited ? [{ type: 'requested', actor: 'UBENCH' }] : [], []));
  }
  const before = stores.map((s) => ({ attempts: s.tally.attempts, commits: s.tally.commits }));

  const start = performance.now();
  await Promise.all(
    ids.map(async (id, i) => {
      const store = stores[i % 2]!;
      for (let n = 0; n < TRANSITIONS; n++) {
        await store.transition(id, (p) => accept({ ...p, reason: `step ${n}` }, audited ? [{ type: 'noted', actor: 'UBENCH', detail: { n } }] : [], []));
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const commits = ids.length * TRANSITIONS;
  const attempts = stores.reduce((sum, s, i) => sum + s.tally.attempts - before[i]!.attempts, 0);
  const applied = stores.reduce((sum, s, i) => sum + s.tally.commits - before[i]!.commits, 0);
  if (applied !== commits) throw new Error(`${applied} commits applied, expected ${commits}`);

  const cleanup = connections[0]!;
  const leftover = await cleanup.keys(`${prefix}*`);
  if (leftover.length) await cleanup.del(...leftover);
  for (const redis of connections) redis.disconnect();
  return { perSecond: commits / seconds, attemptsPerCommit: attempts / commits };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const modes: Mode[] = ['no audit', 'one shared chain (before)', 'a chain per app and environment'];
const results = new Map<Mode, { perSecond: number[]; attemptsPerCommit: number[] }>(modes.map((m) => [m, { perSecond: [], attemptsPerCommit: [] }]));
await run('a chain per app and environment'); // warm-up: script cache, connections, JIT
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of modes) {
    const r = await run(mode);
    results.get(mode)!.perSecond.push(r.perSecond);
    results.get(mode)!.attemptsPerCommit.push(r.attemptsPerCommit);
  }
}

const baseline = median(results.get('no audit')!.perSecond);
console.log(`${PAIRS.length} environments (${APPS.length} apps x ${ENVIRONMENTS.length} environments), 2 writers on separate connections, ${TRANSITIONS} transitions each, median of ${ROUNDS} rounds`);
for (const mode of modes) {
  const r = results.get(mode)!;
  const perSecond = median(r.perSecond);
  console.log(`${mode.padEnd(34)} ${perSecond.toFixed(0).padStart(6)} commits/s   ${median(r.attemptsPerCommit).toFixed(2)} attempts/commit   ratio to no audit ${(perSecond / baseline).toFixed(2)}`);
}
const perPair = median(results.get('a chain per app and environment')!.perSecond) / baseline;
const attemptsPerPair = median(results.get('a chain per app and environment')!.attemptsPerCommit);
console.log(`target: a chain per app and environment at least ${THROUGHPUT_TARGET}x of no audit: ${perPair.toFixed(2)}x, ${perPair >= THROUGHPUT_TARGET ? 'met' : 'NOT met'}`);
console.log(`target: at most ${ATTEMPTS_TARGET} attempts per commit: ${attemptsPerPair.toFixed(2)}, ${attemptsPerPair <= ATTEMPTS_TARGET ? 'met' : 'NOT met'}`);
