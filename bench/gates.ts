/**
 * Gate throughput: promotions per second from request until all six gates are done,
 * with two worker processes' worth of workers, next to raw BullMQ throughput for the
 * same number of no-op jobs on two workers, in the same run and the same Redis.
 *
 *   npx tsx bench/gates.ts            (BENCH_PROMOTIONS=40 by default)
 */
import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { eventually } from '../test/support/eventually.js';
import { FakeGateTarget, REPORTS } from '../test/support/fake-gate-target.js';
import { TEST_REDIS_URL } from '../test/support/global-setup.js';
import { PEOPLE, standardConfig, startShipgate } from '../test/support/start-shipgate.js';

const PROMOTIONS = Number(process.env.BENCH_PROMOTIONS ?? 40);
const GATES = ['tests', 'coverage', 'junit', 'tests2', 'coverage2', 'junit2'];

async function rawBullmq(jobs: number): Promise<number> {
  const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `{bench-${randomBytes(4).toString('hex')}}`;
  const queue = new Queue('raw', { connection, prefix });
  let done = 0;
  const workers = [0, 1].map(() => new Worker('raw', async () => undefined, { connection, prefix, concurrency: 8 }));
  workers.forEach((w) => w.on('completed', () => done++));
  const start = performance.now();
  await queue.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: 'job', data: { i }, opts: { removeOnComplete: true } })));
  await eventually(() => {
    if (done < jobs) throw new Error('not yet');
  }, { timeoutMs: 120_000, intervalMs: 5 });
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(workers.map((w) => w.close()));
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return seconds;
}

const target = await new FakeGateTarget().start();
const gatesYaml = GATES.map((g) => {
  const kind = g.replace(/\d$/, '');
  if (kind === 'tests') return `  ${g}: { type: http-json, url: "${target.url}/{app}/{version}/tests", expect: { path: run.status, equals: passed } }`;
  if (kind === 'coverage') return `  ${g}: { type: coverage, url: "${target.url}/{app}/{version}/coverage", min_lines: 80 }`;
  return `  ${g}: { type: junit, url: "${target.url}/{app}/{version}/junit.xml" }`;
}).join('\n');
const config = (url: string, prefix: string) =>
  standardConfig(url, prefix)
    .replace('  development: {}', `  development: { gates: [${GATES.join(', ')}] }`)
    .replace('apps:\n  web: { executor: target }', `apps:\n${Array.from({ length: PROMOTIONS }, (_, i) => `  app${i}: { executor: target }`).join('\n')}`)
    .concat(`\ngates:\n${gatesYaml}\n`);
for (let i = 0; i < PROMOTIONS; i++) {
  target.answer(`/app${i}/1.0.0/tests`, REPORTS.testsPassed).answer(`/app${i}/1.0.0/coverage`, REPORTS.coverage(90)).answer(`/app${i}/1.0.0/junit.xml`, REPORTS.junit(0));
}

const h = await startShipgate({ config });
await h.shipgate.startWorker(); // two workers in all
const start = performance.now();
await Promise.all(Array.from({ length: PROMOTIONS }, (_, i) => h.slack.command(PEOPLE.alice, `/promote app${i} 1.0.0 to development`)));
await eventually(
  async () => {
    const recent = await h.shipgate.store.recent(PROMOTIONS);
    const settled = recent.filter((p) => p.gates && Object.values(p.gates.results).every((r) => r.status === 'passed'));
    if (settled.length < PROMOTIONS) throw new Error(`${settled.length}/${PROMOTIONS}`);
  },
  { timeoutMs: 300_000, intervalMs: 20 },
);
const gated = (performance.now() - start) / 1000;
await h.close();
await target.close();

const raw = await rawBullmq(PROMOTIONS * GATES.length);
console.log(`${PROMOTIONS} promotions x ${GATES.length} gates on 2 workers: ${gated.toFixed(2)} s, ${(PROMOTIONS / gated).toFixed(1)} promotions/s`);
console.log(`raw BullMQ, ${PROMOTIONS * GATES.length} no-op jobs on 2 workers: ${raw.toFixed(2)} s, ${((PROMOTIONS * GATES.length) / raw).toFixed(0)} jobs/s`);
console.log(`ratio (gated promotions' time / raw jobs' time): ${(gated / raw).toFixed(1)}x`);
