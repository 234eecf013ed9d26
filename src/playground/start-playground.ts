import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createMetrics } from '../metrics.js';
import { connectRedis } from '../queue/redis-connection.js';
import { startServe, startWorker, type Running, type RuntimeOptions } from '../runtime.js';
import { AuditKey } from '../store/audit-key.js';
import { AuditWriter } from '../store/audit-writer.js';
import { keysFor } from '../store/keys.js';
import { PromotionStore } from '../store/promotion-store.js';
import { Actors } from './actors.js';
import { PlaygroundDeployTarget } from './deploy-target.js';
import { runDueJobs } from './due-jobs.js';
import { PlaygroundGateTarget } from './gate-target.js';
import { listenOnLoopback } from './loopback-server.js';
import { MovableClock } from './movable-clock.js';
import { USERGROUPS } from './people.js';
import { PLAYGROUND_PREFIX, playgroundConfig, productionCalendar } from './playground-config.js';
import { startPlaygroundServer } from './playground-server.js';
import { RehearsalStore } from './rehearsal-store.js';
import { ScenarioRunner } from './scenarios.js';
import { SignedSlack } from './signed-slack.js';
import { SlackStandIn } from './slack-stand-in.js';

export interface PlaygroundOptions {
  /** The page's port on 127.0.0.1 (PORT; 0 picks a free one). */
  port: number;
  redisUrl: string;
  log: Logger;
  /** Redis key prefix; must name the playground, so a production prefix is never touched. */
  prefix?: string;
  /** Pause between narrated scenario steps. */
  paceMs?: number;
}

const secret = (bytes = 24) => randomBytes(bytes).toString('hex');

/** Deletes what an earlier playground left under its prefix: its audit key was another. */
async function clearPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = connectRedis(redisUrl, 'http');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * The real Shipgate (receiver and workers, on real Redis) behind a local page that
 * stands in for a Slack channel. Everything outside Shipgate is built in and on
 * loopback: the Slack Web API, the deploy webhook, the gates' evidence. Secrets are
 * random per start.
 */
export async function startPlayground(options: PlaygroundOptions) {
  const prefix = options.prefix ?? PLAYGROUND_PREFIX;
  if (!prefix.includes('playground')) throw new Error(`The playground's key prefix must name the playground (got "${prefix}"), so it never touches a production prefix.`);
  // A second playground on the same port would share this prefix: find out before clearing it.
  await (await listenOnLoopback(() => undefined, options.port)).close();
  await clearPrefix(options.redisUrl, prefix);

  const secrets = { botToken: `xoxb-playground-${secret(12)}`, signingSecret: secret(), deploySecret: secret(), alertToken: secret() };
  const auditKey = AuditKey.fromEnvironment(secret(32));
  if (!auditKey.ok) throw new Error(auditKey.problem);

  const changes = new Set<() => void>();
  const changed = () => changes.forEach((listener) => listener());
  const slack = await new SlackStandIn(secrets.botToken, USERGROUPS).start();
  slack.on('change', changed);
  const deployTarget = await new PlaygroundDeployTarget(secrets.deploySecret).start();
  deployTarget.onChange = changed;
  const gateTarget = await new PlaygroundGateTarget().start();
  const calendarsDir = mkdtempSync(join(tmpdir(), 'shipgate-playground-calendars-'));
  const setFreeze = (freeze: { start: number; end: number } | null) => writeFileSync(join(calendarsDir, 'production.yml'), productionCalendar(freeze));
  setFreeze(null);

  const clock = new MovableClock();
  const config = playgroundConfig({ deployUrl: deployTarget.url, gateUrl: gateTarget.url }, prefix, { deploySecret: secrets.deploySecret, alertToken: secrets.alertToken });
  const runtimeOptions: RuntimeOptions = {
    config,
    metrics: createMetrics(),
    calendarsDir,
    redisUrl: options.redisUrl,
    slack: { botToken: secrets.botToken, signingSecret: secrets.signingSecret, appToken: null, apiUrl: slack.apiUrl },
    log: options.log,
    clock,
    auditKey: auditKey.key,
    // The stand-in is no Slack: no need to pace writes at Slack's per-channel rate, which would make a scenario crawl.
    slackRate: { intervalMs: 50, burst: 10 },
  };
  const running: Running[] = [];
  const closeAll = async () => {
    await Promise.allSettled(running.map((r) => r.close()));
    running.length = 0;
  };
  try {
    running.push(await startWorker(runtimeOptions));
    running.push(await startServe(runtimeOptions, 0));
  } catch (error) {
    await closeAll();
    throw error;
  }
  const receiverUrl = `http://127.0.0.1:${running[1]!.port}`;
  const signed = new SignedSlack(slack, receiverUrl, secrets.signingSecret);

  const redis = connectRedis(options.redisUrl, 'http');
  const keys = keysFor(prefix);
  const { apps, environments } = config.config;
  // Read-only here: the playground reads what Shipgate stored, it never writes promotions itself.
  const store = new PromotionStore(redis, keys, () => clock.now(), new AuditWriter(keys, auditKey.key, { scoped: (app, env) => app in apps && env in environments }));
  const rehearsals = new RehearsalStore(redis, prefix);
  const actors = new Actors(signed, slack, store);

  const advanceClock = async (ms: number) => {
    clock.advance(ms);
    await runDueJobs(redis, prefix, clock.now());
    changed();
  };
  const scenarios = new ScenarioRunner(
    {
      actors,
      slack,
      gates: gateTarget,
      rehearsals,
      now: () => clock.now(),
      advanceClock,
      setFreeze,
      sendAlert: async (payload) => {
        const response = await fetch(`${receiverUrl}/alerts/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secrets.alertToken}` }, body: JSON.stringify(payload) });
        await response.text();
        return response.status;
      },
    },
    changed,
    options.paceMs ?? 700,
  );

  const page = await startPlaygroundServer(options.port, { slack, signed, deployTarget, gateTarget, clock, advanceClock, scenarios, rehearsals, onChange: changes, log: options.log });

  return {
    url: `${page.url}/playground`,
    port: page.port,
    receiverUrl,
    signingSecret: secrets.signingSecret,
    prefix,
    slack,
    signed,
    actors,
    deployTarget,
    gateTarget,
    clock,
    scenarios,
    rehearsals,
    store,
    redis,
    advanceClock,
    async close() {
      await page.close();
      deployTarget.release();
      await closeAll();
      redis.disconnect();
      await Promise.allSettled([slack.close(), deployTarget.close(), gateTarget.close()]);
    },
  };
}

export type Playground = Awaited<ReturnType<typeof startPlayground>>;
