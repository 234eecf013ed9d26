/**
 * How long Slack waits for Shipgate's acknowledgement under 50 concurrent connections,
 * next to a bare Bolt app that only acks, measured in the same run on the same machine
 * with autocannon. Both receivers run in processes of their own (Shipgate's workers in
 * a third), so the load generator shares a process with neither.
 *
 *   /promote, each request a new promotion of a distinct app: p99 <= 1.5x, throughput >= 0.5x
 *   /promote, the usual mix (new, duplicates, status, help):   p99 <= 1.5x, throughput >= 0.5x
 *   Approve clicks on distinct promotions:                     p99 <= 2x
 *
 * Then checks that no acknowledged request was lost: every accepted promotion exists.
 *
 *   npx tsx bench/ack-latency.ts            (BENCH_REQUESTS, default 2000 per run)
 */
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../test/support/eventually.js';
import { REPO, spawnShipgate } from '../test/support/child-shipgate.js';
import { loadApps, loadConfig } from '../test/support/promote-load.js';
import { BOT_TOKEN, PEOPLE, SIGNING_SECRET, startShipgate } from '../test/support/start-shipgate.js';
import { signedLoad, type LoadResult } from './signed-load.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONNECTIONS = 50;
const CLICKS = Math.min(REQUESTS, 1000);
/** Apps for the distinct run, the new requests of the mixed run, and the promotions clicked. */
const APPS = loadApps(2 * REQUESTS + CLICKS);
const distinctApps = APPS.slice(0, REQUESTS);
const mixApps = APPS.slice(REQUESTS, 2 * REQUESTS);
const clickApps = APPS.slice(2 * REQUESTS);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function ready(url: string): Promise<void> {
  await eventually(async () => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  }, { timeoutMs: 180_000, intervalMs: 200 });
}

function commandBody(responseUrl: string, text: string): string {
  return new URLSearchParams({ token: 'legacy', team_id: 'T0TEAM', channel_id: 'C0LOAD', user_id: PEOPLE.alice, user_name: 'alice', command: '/promote', text, api_app_id: 'A0SHIPGATE', response_url: responseUrl, trigger_id: 'trigger-bench' }).toString();
}

function approveBody(responseUrl: string, promotionId: string): string {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0TEAM', domain: 'test' },
    user: { id: PEOPLE.lead, username: 'lead', team_id: 'T0TEAM' },
    api_app_id: 'A0SHIPGATE',
    token: 'legacy',
    trigger_id: 'trigger-bench',
    container: { type: 'message', message_ts: '1800000000.000100', channel_id: 'C0LOAD', is_ephemeral: false },
    channel: { id: 'C0LOAD', name: 'load' },
    message: { type: 'message', ts: '1800000000.000100', text: '' },
    response_url: responseUrl,
    actions: [{ type: 'button', action_id: 'approve', block_id: 'actions', value: promotionId, text: { type: 'plain_text', text: 'Approve' }, action_ts: `${Date.now() / 1000}` }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** The usual mix: mostly new requests, some repeated at once, some status and help. */
function mixText(i: number): string {
  const slot = i % 10;
  if (slot === 7) return `${mixApps[Math.max(0, i - 1) % mixApps.length]} 1.0.0 to development`; // a duplicate of the one before
  if (slot === 8) return `status ${mixApps[i % mixApps.length]}`;
  if (slot === 9) return 'help';
  return `${mixApps[i % mixApps.length]} 1.0.0 to development`;
}

const h = await startShipgate({ config: loadConfig(APPS.length), noWorker: true, slackRate: { intervalMs: 1, burst: 100_000 } });
const env = { ...h.shipgate.cliEnv(), SLACK_SIGNING_SECRET: SIGNING_SECRET };
const [shipgatePort, workerPort, barePort] = [await freePort(), await freePort(), await freePort()];
const serve = spawnShipgate(['serve'], { ...env, PORT: String(shipgatePort) });
const worker = spawnShipgate(['worker'], { ...env, WORKER_PORT: String(workerPort) });
const bare = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'bench/bare-bolt.ts')], {
  cwd: REPO,
  env: { PATH: process.env.PATH ?? '', PORT: String(barePort), SLACK_API_URL: h.fake.apiUrl, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET },
  stdio: 'ignore',
});
const shipgateUrl = `http://127.0.0.1:${shipgatePort}`;
const bareUrl = `http://127.0.0.1:${barePort}`;
try {
  await Promise.all([ready(`${shipgateUrl}/healthz`), ready(`http://127.0.0.1:${workerPort}/healthz`), ready(`${bareUrl}/slack/events`).catch(() => undefined)]).catch((error: unknown) => {
    throw new Error(`a receiver did not start: ${String(error)}\nserve: ${serve.output()}\nworker: ${worker.output()}`);
  });
  const respond = h.fake.responseUrl(PEOPLE.alice);
  // Warm both up (JIT, connections, Redis scripts) on requests that change nothing.
  for (const url of [bareUrl, shipgateUrl]) await signedLoad(url, SIGNING_SECRET, 200, CONNECTIONS, () => commandBody(respond, 'help'));

  const runs: { name: string; bare: LoadResult; shipgate: LoadResult; p99Target: number; throughputTarget: number | null }[] = [];
  const compare = async (name: string, body: (i: number) => string, amount: number, p99Target: number, throughputTarget: number | null) => {
    const baseline = await signedLoad(bareUrl, SIGNING_SECRET, amount, CONNECTIONS, body);
    const measured = await signedLoad(shipgateUrl, SIGNING_SECRET, amount, CONNECTIONS, body);
    runs.push({ name, bare: baseline, shipgate: measured, p99Target, throughputTarget });
    return measured;
  };

  const distinct = await compare('/promote, a new app each', (i) => commandBody(respond, `${distinctApps[i % REQUESTS]} 1.0.0 to development`), REQUESTS, 1.5, 0.5);
  const mix = await compare('/promote, the usual mix', (i) => commandBody(respond, mixText(i)), REQUESTS, 1.5, 0.5);

  // Promotions to approve: one per click, waiting in staging for U0LEAD.
  await Promise.all(clickApps.map((app) => h.slack.command(PEOPLE.alice, `/promote ${app} 1.0.0 to staging`, { url: shipgateUrl })));
  const total = () => h.shipgate.promotionCount();
  const accepted = new Set([...distinct.ok].map((i) => distinctApps[i % REQUESTS]!));
  for (const i of mix.ok) if (i % 10 < 8) accepted.add(mixApps[(i % 10 === 7 ? Math.max(0, i - 1) : i) % mixApps.length]!);
  await eventually(async () => {
    if ((await total()) < accepted.size + clickApps.length) throw new Error('requests still being recorded');
  }, { timeoutMs: 120_000, intervalMs: 500 }).catch(() => undefined);
  const staged = (await h.shipgate.store.recent(CLICKS * 2)).filter((p) => p.environment === 'staging').map((p) => p.id);
  await compare('Approve click, a promotion each', (i) => approveBody(respond, staged[i % staged.length]!), CLICKS, 2, null);

  const ms = (v: number) => `${v.toFixed(1).padStart(7)} ms`;
  console.log(`ack latency under ${CONNECTIONS} connections (autocannon), bare Bolt (ack only) against Shipgate`);
  for (const r of runs) {
    const p99 = r.shipgate.p99 / Math.max(0.1, r.bare.p99);
    const throughput = r.shipgate.throughput / Math.max(1, r.bare.throughput);
    console.log(`${r.name} (${r.shipgate.ok.size} requests answered 200, ${r.shipgate.errors} errors)`);
    console.log(`  bare      p50 ${ms(r.bare.p50)}  p99 ${ms(r.bare.p99)}  ${r.bare.throughput.toFixed(0).padStart(6)} req/s`);
    console.log(`  shipgate  p50 ${ms(r.shipgate.p50)}  p99 ${ms(r.shipgate.p99)}  ${r.shipgate.throughput.toFixed(0).padStart(6)} req/s`);
    console.log(
      `  ratio     p99 ${p99.toFixed(2)}x (target <= ${r.p99Target}x ${p99 <= r.p99Target ? 'met' : 'MISSED'})` +
        (r.throughputTarget === null ? '' : `  throughput ${throughput.toFixed(2)}x (target >= ${r.throughputTarget}x ${throughput >= r.throughputTarget ? 'met' : 'MISSED'})`),
    );
  }

  // Nothing acknowledged is lost: every accepted request for a new app has its promotion.
  const recorded = new Set((await h.shipgate.store.recent(APPS.length * 2)).map((p) => p.app));
  const lost = [...accepted].filter((app) => !recorded.has(app));
  const conflicts = /shipgate_commit_conflicts_total\{kind="create"\} (\d+)/.exec(await (await fetch(`${shipgateUrl}/metrics`)).text())?.[1] ?? '0';
  console.log(`accepted promotions of distinct apps: ${accepted.size}; recorded: ${accepted.size - lost.length}; lost: ${lost.length}; create conflicts: ${conflicts}`);
} finally {
  serve.kill();
  worker.kill();
  bare.kill();
  await h.close();
}
