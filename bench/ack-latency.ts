/**
 * How long Slack waits for Shipgate's acknowledgement of `/promote`, next to a bare
 * Bolt app that only acks, measured in the same run on the same machine. Prints
 * percentiles and their ratios; the time budget Slack gives is 3 seconds.
 *
 *   npm run bench
 */
import { App } from '@slack/bolt';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SlackDriver } from '../test/support/slack-driver.js';
import { FakeSlack } from '../test/support/fake-slack.js';
import { BOT_TOKEN, PEOPLE, SIGNING_SECRET, startShipgate } from '../test/support/start-shipgate.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(send: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await send(-1 - i); // warm up
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = process.hrtime.bigint();
    await send(i);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

async function bareBolt(fake: FakeSlack): Promise<{ url: string; stop: () => Promise<void> }> {
  const app = new App({ token: BOT_TOKEN, signingSecret: SIGNING_SECRET, clientOptions: { slackApiUrl: fake.apiUrl }, logLevel: undefined });
  app.command('/promote', async ({ ack }) => ack());
  const server = (await app.start(0)) as Server;
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stop: async () => {
      await app.stop();
    },
  };
}

const shipgate = await startShipgate();
const baseline = await bareBolt(shipgate.fake);
const baselineDriver = new SlackDriver(shipgate.fake, baseline.url, SIGNING_SECRET);

// Each request is a real one: a new version into development, refused or accepted by the store.
const bare = await measure((i) => baselineDriver.command(PEOPLE.alice, `/promote web 1.0.${i + 100} to development`));
const real = await measure((i) => shipgate.slack.command(PEOPLE.alice, `/promote web 1.0.${i + 100} to development`));
const grammar = await measure(() => shipgate.slack.command(PEOPLE.alice, '/promote web nonsense'));

const row = (name: string, t: number[]) =>
  `${name.padEnd(34)} p50 ${percentile(t, 50).toFixed(2).padStart(7)} ms  p95 ${percentile(t, 95).toFixed(2).padStart(7)} ms  p99 ${percentile(t, 99).toFixed(2).padStart(7)} ms`;
console.log(`ack latency over ${ROUNDS} signed requests each`);
console.log(row('bare Bolt app (ack only)', bare));
console.log(row('shipgate /promote APP VERSION', real));
console.log(row('shipgate /promote (grammar error)', grammar));
console.log(`ratio shipgate/bare: p50 ${(percentile(real, 50) / percentile(bare, 50)).toFixed(2)}x  p95 ${(percentile(real, 95) / percentile(bare, 95)).toFixed(2)}x`);
console.log(`p99 against Slack's 3 s budget: ${((percentile(real, 99) / 3000) * 100).toFixed(2)}%`);

await baseline.stop();
await shipgate.close();
