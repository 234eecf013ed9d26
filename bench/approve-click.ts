/**
 * What an Approve click costs after its ack: Redis round trips and time to decide,
 * commit and queue what follows, on a replica that has never read the promotion (the
 * worst case behind a load balancer), next to the same number of bare Redis round trips
 * (PING, one after another) on the same connection, in the same run.
 *
 *   npx tsx bench/approve-click.ts       (BENCH_ROUNDS=15)
 */
import { Runtime } from '../src/runtime.js';
import { eventually } from '../test/support/eventually.js';
import { countRoundTrips } from '../test/support/round-trips.js';
import { PEOPLE, standardConfig, startShipgate } from '../test/support/start-shipgate.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
/** After the ack, at most three round trips to decide, commit and queue what follows. */
const TRIPS_TARGET = 3;

const h = await startShipgate({ config: (url, prefix) => standardConfig(url, prefix).replace('usergroup_cache: 1s', 'usergroup_cache: 10m') });
const trips: number[] = [];
const clickMs: number[] = [];
const pingMs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const version = `1.0.${round}`;
  await h.bring(version, 'staging');
  const { message } = await h.ask(PEOPLE.alice, `/promote web ${version} to production`, 'C0PROD');
  const id = (await h.shipgate.promotion(message)).id;
  await h.slack.click(PEOPLE.raj, message, 'Approve');
  await eventually(async () => {
    if ((await h.shipgate.promotion(id)).approvals.length !== 1) throw new Error('not yet approved once');
  });
  const replica = new Runtime(h.shipgate.runtimeOptions, 'http');
  await replica.redis.ping();
  const counter = countRoundTrips(replica.redis);
  let start = performance.now();
  const outcome = await replica.service.approve(id, PEOPLE.rita);
  clickMs.push(performance.now() - start);
  const made = counter.count();
  trips.push(made);
  if (!outcome.ok) throw new Error(outcome.reason);
  start = performance.now();
  for (let i = 0; i < made; i++) await replica.redis.ping();
  pingMs.push(performance.now() - start);
  await replica.close();
  await eventually(async () => {
    if ((await h.shipgate.live('web', 'production')) !== version) throw new Error('not deployed yet');
  });
}
await h.close();

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const most = Math.max(...trips);
console.log(`Approve click after the ack, ${ROUNDS} clicks on a replica that never read the promotion`);
console.log(`Redis round trips: at most ${most}, median ${median(trips)} (target at most ${TRIPS_TARGET}: ${most <= TRIPS_TARGET ? 'met' : 'NOT met'})`);
console.log(`time: median ${median(clickMs).toFixed(2)} ms; as many bare round trips: ${median(pingMs).toFixed(2)} ms; ratio ${(median(clickMs) / median(pingMs)).toFixed(1)}x`);
