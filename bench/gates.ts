/**
 * Gate runs: time from 40 requests (6 gates each) until every gate has settled, with two
 * workers, next to a raw BullMQ flow doing the same work in the same run and the same
 * Redis: a FlowProducer parent per promotion with one child per gate, each child fetching
 * the same evidence from the same fake target, the parent reading its children's values.
 *
 * A second, untimed pass counts the Redis commands each side sends (MONITOR, commands on
 * keys under that side's prefix, script-internal calls left out) and the commit attempts
 * per commit of Shipgate's stores.
 *
 *   npx tsx bench/gates.ts            (BENCH_PROMOTIONS=40 by default)
 */
import { randomBytes } from 'node:crypto';
import { FlowProducer, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { GATE_CONCURRENCY } from '../src/queue/gate-worker.js';
import { eventually } from '../test/support/eventually.js';
import { FakeGateTarget, REPORTS } from '../test/support/fake-gate-target.js';
import { TEST_REDIS_URL } from '../test/support/global-setup.js';
import { PEOPLE, standardConfig, startShipgate } from '../test/support/start-shipgate.js';

const PROMOTIONS = Number(process.env.BENCH_PROMOTIONS ?? 40);
const GATES = ['tests', 'coverage', 'junit', 'tests2', 'coverage2', 'junit2'];
/** Request to all gates settled at most twice the raw flow's time; at most 60 commands and 1.1 commit attempts per promotion. */
const TIME_TARGET = 2;
const COMMANDS_TARGET = 60;
const ATTEMPTS_TARGET = 1.1;

const target = await new FakeGateTarget().start();
const evidencePath = (app: string, gate: string) => {
  const kind = gate.replace(/\d$/, '');
  return kind === 'tests' ? `/${app}/1.0.0/tests` : kind === 'coverage' ? `/${app}/1.0.0/coverage` : `/${app}/1.0.0/junit.xml`;
};
for (let i = 0; i < PROMOTIONS; i++) {
  target.answer(`/app${i}/1.0.0/tests`, REPORTS.testsPassed).answer(`/app${i}/1.0.0/coverage`, REPORTS.coverage(90)).answer(`/app${i}/1.0.0/junit.xml`, REPORTS.junit(0));
}

/** Counts the top-level commands that touch keys under PREFIX while it runs, except those of the benchmark's own connection (its polling). */
async function countCommands(prefix: string, own: Redis | null = null): Promise<{ count(): number; stop(): void }> {
  const ownSource = own ? `${own.stream.localAddress}:${own.stream.localPort}` : null;
  const client = new Redis(TEST_REDIS_URL);
  const monitor = await client.monitor();
  let count = 0;
  const kinds = new Map<string, number>();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua' || source === ownSource || !args.some((a) => a.includes(prefix))) return;
    count++;
    if (!process.env.BENCH_PROFILE) return;
    // A script call is named by its first key's kind, which says what it was for.
    const [name = '', , , first = ''] = args;
    const kind = /^eval/i.test(name) ? `${name} ${first.replace(prefix, '').split(':').slice(0, 3).join(':')}` : `${name} ${(args[1] ?? '').replace(prefix, '').split(':')[1] ?? ''}`;
    const shape = kind.replace(/sg-\d+\S*/g, 'ID').replace(/(settle|gate)-\d+\S*/g, '$1-N').replace(/\d+/g, 'N');
    kinds.set(shape, (kinds.get(shape) ?? 0) + 1);
  });
  return {
    count: () => {
      if (process.env.BENCH_PROFILE) console.log([...kinds].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, n]) => `  ${(n / PROMOTIONS).toFixed(1).padStart(6)}  ${k}`).join('\n'));
      return count;
    },
    stop: () => {
      monitor.disconnect();
      client.disconnect();
    },
  };
}

async function rawFlow(counting: boolean): Promise<{ seconds: number; commands: number }> {
  const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `{bench-${randomBytes(4).toString('hex')}}`;
  const counter = counting ? await countCommands(prefix) : null;
  const flows = new FlowProducer({ connection, prefix });
  const queue = new Queue('raw-gates', { connection, prefix });
  let settled = 0;
  const workers = [0, 1].map(
    () =>
      new Worker(
        'raw-gates',
        async (job) => {
          if (job.name === 'settle') return Object.keys(await job.getChildrenValues()).length;
          const response = await fetch(`${target.url}${evidencePath(job.data.app, job.data.gate)}`);
          return { status: response.ok ? 'passed' : 'error', body: (await response.text()).length };
        },
        { connection, prefix, concurrency: GATE_CONCURRENCY },
      ),
  );
  workers.forEach((w) => w.on('completed', (job) => void (job.name === 'settle' && settled++)));
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const start = performance.now();
  await Promise.all(
    Array.from({ length: PROMOTIONS }, (_, i) =>
      flows.add({
        name: 'settle',
        queueName: 'raw-gates',
        data: { app: `app${i}` },
        opts: { jobId: `settle-${i}` },
        children: GATES.map((gate) => ({ name: 'gate', queueName: 'raw-gates', data: { app: `app${i}`, gate }, opts: { jobId: `gate-${i}-${gate}`, ignoreDependencyOnFailure: true } })),
      }),
    ),
  );
  await eventually(() => {
    if (settled < PROMOTIONS) throw new Error(`${settled}/${PROMOTIONS}`);
  }, { timeoutMs: 120_000, intervalMs: 5 });
  const seconds = (performance.now() - start) / 1000;
  const commands = counter?.count() ?? 0;
  counter?.stop();
  await Promise.all(workers.map((w) => w.close()));
  await queue.obliterate({ force: true });
  await Promise.all([queue.close(), flows.close()]);
  connection.disconnect();
  return { seconds, commands };
}

async function shipgateGates(counting: boolean): Promise<{ seconds: number; commands: number; attemptsPerCommit: number }> {
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
  const h = await startShipgate({ config });
  await h.shipgate.startWorker(); // two workers in all
  const counter = counting ? await countCommands(h.shipgate.prefix, h.shipgate.redis) : null;
  const before = h.shipgate.commits();
  const start = performance.now();
  await Promise.all(Array.from({ length: PROMOTIONS }, (_, i) => h.slack.command(PEOPLE.alice, `/promote app${i} 1.0.0 to development`)));
  await eventually(
    async () => {
      const recent = await h.shipgate.store.recent(PROMOTIONS);
      const settled = recent.filter((p) => p.state !== 'checking' && p.gates && Object.values(p.gates.results).every((r) => r.status === 'passed'));
      if (settled.length < PROMOTIONS) throw new Error(`${settled.length}/${PROMOTIONS}`);
    },
    { timeoutMs: 300_000, intervalMs: 20 },
  );
  const seconds = (performance.now() - start) / 1000;
  const commands = counter?.count() ?? 0;
  counter?.stop();
  const after = h.shipgate.commits();
  await h.close();
  return { seconds, commands, attemptsPerCommit: (after.attempts - before.attempts) / Math.max(1, after.commits - before.commits) };
}

const timed = { shipgate: await shipgateGates(false), raw: await rawFlow(false) };
const counted = { shipgate: await shipgateGates(true), raw: await rawFlow(true) };
await target.close();

const ratio = timed.shipgate.seconds / timed.raw.seconds;
const commandsPerPromotion = counted.shipgate.commands / PROMOTIONS;
const attempts = timed.shipgate.attemptsPerCommit;
console.log(`${PROMOTIONS} promotions x ${GATES.length} gates on 2 workers, request to all gates settled: ${timed.shipgate.seconds.toFixed(2)} s`);
console.log(`raw BullMQ flow, ${PROMOTIONS} parents x ${GATES.length} children fetching the same evidence on 2 workers: ${timed.raw.seconds.toFixed(2)} s`);
console.log(`ratio to the raw flow: ${ratio.toFixed(2)}x (target at most ${TIME_TARGET}x: ${ratio <= TIME_TARGET ? 'met' : 'NOT met'})`);
console.log(`Redis commands per promotion: ${commandsPerPromotion.toFixed(1)} (raw flow ${(counted.raw.commands / PROMOTIONS).toFixed(1)}; target at most ${COMMANDS_TARGET}: ${commandsPerPromotion <= COMMANDS_TARGET ? 'met' : 'NOT met'})`);
console.log(`commit attempts per commit: ${attempts.toFixed(2)} (target at most ${ATTEMPTS_TARGET}: ${attempts <= ATTEMPTS_TARGET ? 'met' : 'NOT met'})`);
