import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { parseConfig, type LoadedConfig } from '../../src/config/load-config.js';
import type { Promotion } from '../../src/domain/promotion.js';
import { startServe, startWorker, type Running, type RuntimeOptions } from '../../src/runtime.js';
import type { Clock } from '../../src/service/ports.js';
import type { ChannelRateLimit } from '../../src/slack/channel-rate.js';
import { AuditLog } from '../../src/store/audit-log.js';
import { createMetrics } from '../../src/metrics.js';
import { chainName, type AuditEntry } from '../../src/store/audit-chain.js';
import { AuditKey } from '../../src/store/audit-key.js';
import { AuditWriter } from '../../src/store/audit-writer.js';
import { keysFor } from '../../src/store/keys.js';
import { PromotionStore } from '../../src/store/promotion-store.js';
import { buttonsOf, FakeSlack, type SlackMessage } from './fake-slack.js';
import { DEPLOY_SECRET, FakeDeployTarget } from './fake-deploy-target.js';
import { TEST_REDIS_URL } from './global-setup.js';
import { deleteKeysUnder, testPrefix } from './test-prefix.js';
import { SlackDriver } from './slack-driver.js';
import { eventually } from './eventually.js';
import { spawnShipgate, writeTempFile } from './child-shipgate.js';

export const SIGNING_SECRET = 'test-signing-secret';
export const BOT_TOKEN = 'xoxb-test-token';
export { DEPLOY_SECRET };
/** SHIPGATE_AUDIT_KEY of every Shipgate the tests start (at least 32 bytes). */
export const AUDIT_KEY = 'test-audit-key-0123456789abcdef0123456789abcdef';

export function testAuditKey(value = AUDIT_KEY): AuditKey {
  const read = AuditKey.fromEnvironment(value);
  if (!read.ok) throw new Error(read.problem);
  return read.key;
}

/** People in the tests. Group membership is what the fake Slack answers to usergroups.users.list. */
export const PEOPLE = {
  alice: 'UALICE', // a developer; asks for promotions
  lead: 'U0LEAD', // listed by id as a staging approver
  quinn: 'UQUINN', // in S0QA (staging approvers)
  rita: 'URITA', // in S0REL (production approvers)
  raj: 'URAJ', // in S0REL
  omar: 'UOMAR', // in S0ONCALL (production rollback)
  olga: 'UOLGA', // in S0ONCALL (production rollback)
  mallory: 'UMALLORY', // in no group
} as const;

/** Who approves each step of the standard path in the tests. */
const STANDARD_APPROVERS: Record<string, string[]> = { staging: [PEOPLE.lead], production: [PEOPLE.rita, PEOPLE.raj] };

export const USERGROUPS = { S0QA: [PEOPLE.quinn], S0REL: [PEOPLE.rita, PEOPLE.raj], S0ONCALL: [PEOPLE.omar, PEOPLE.olga] };

/** The configuration of the issue: staging needs one approval, production two (no self-approval), rollback one on-call. */
export function standardConfig(deployUrl: string, prefix: string, extra = ''): string {
  return `
slack: { channel: C0DEPLOYS, usergroup_cache: 1s }
apps:
  web: { executor: target }
environments:
  development: {}
  staging:
    from: development
    approvals: { required: 1, approvers: [S0QA, U0LEAD] }
  production:
    from: staging
    channel: C0PROD
    approvals: { required: 2, approvers: [S0REL], self_approval: false, expire_after: 4h }
    rollback: { approvals: { required: 1, approvers: [S0ONCALL] } }
executors:
  target: { type: webhook, url: "${deployUrl}", secret: "\${DEPLOY_SECRET}", timeout: 2s, attempts: 3, backoff: 50ms }
queue: { prefix: "${prefix}", lock_duration: 2s, stalled_interval: 1s }
${extra}`;
}

/** A clock the test can move forward; shared by the receiver and the workers of one Shipgate. */
export class TestClock implements Clock {
  offset = 0;
  now() {
    return Date.now() + this.offset;
  }
  advance(ms: number) {
    this.offset += ms;
  }
  /** From now on the clock reads `instant`, and runs on at real speed. */
  set(instant: number) {
    this.offset = instant - Date.now();
  }
}

export interface StartOptions {
  /** Calendar files by name (`production.yml`, `freezes.ics`), written to the calendar folder. */
  calendars?: Record<string, string>;
  config?: (deployUrl: string, prefix: string) => string;
  /** Start no worker in this process (a test starts its own). */
  noWorker?: boolean;
  /** Extra receivers sharing the same Redis (replicas). */
  replicas?: number;
  /** Environment variables the configuration reads with `${NAME}`, besides DEPLOY_SECRET. */
  env?: Record<string, string>;
  /** Writes per Slack channel; by default ten times Slack's rate, so tests stay quick (slack-rate tests use the real one). */
  slackRate?: ChannelRateLimit;
}

export async function startShipgate(options: StartOptions = {}) {
  const prefix = testPrefix();
  const fake = await new FakeSlack().start();
  fake.usergroups = { ...USERGROUPS };
  const deployTarget = await new FakeDeployTarget().start();
  const written = (options.config ?? standardConfig)(deployTarget.url, prefix);
  // Archival never writes into the working directory: without a retention section, the archive is a temporary folder.
  const yaml = /^retention:/m.test(written) ? written : `${written}\nretention: { archive: "${mkdtempSync(join(tmpdir(), 'shipgate-archive-'))}" }\n`;
  const loaded: LoadedConfig = parseConfig(yaml, 'shipgate.yml', { ...options.env, DEPLOY_SECRET });
  const clock = new TestClock();
  const calendarsDir = mkdtempSync(join(tmpdir(), 'shipgate-calendars-'));
  for (const [file, text] of Object.entries(options.calendars ?? {})) writeFileSync(join(calendarsDir, file), text);
  const runtimeOptions: RuntimeOptions = {
    config: loaded,
    metrics: createMetrics(),
    calendarsDir,
    redisUrl: TEST_REDIS_URL,
    slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, appToken: null, apiUrl: fake.apiUrl },
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    clock,
    auditKey: testAuditKey(),
    slackRate: options.slackRate ?? { intervalMs: 100, burst: 3 },
  };
  const running: Running[] = [];
  const receivers: string[] = [];
  for (let i = 0; i <= (options.replicas ?? 0); i++) {
    const serve = await startServe(runtimeOptions, 0);
    running.push(serve);
    receivers.push(`http://127.0.0.1:${serve.port}`);
  }
  const startWorkerHere = async () => {
    const worker = await startWorker(runtimeOptions);
    running.push(worker);
    return worker;
  };
  if (!options.noWorker) await startWorkerHere();

  const redis = new Redis(TEST_REDIS_URL);
  const keys = keysFor(prefix);
  const { apps, environments } = loaded.config;
  const store = new PromotionStore(redis, keys, () => clock.now(), new AuditWriter(keys, testAuditKey(), { scoped: (app, env) => app in apps && env in environments }));
  const audit = new AuditLog(redis, keys, testAuditKey());
  const chainEntries = async (chain: string): Promise<AuditEntry[]> => (await redis.lrange(keys.auditLog(chain), 0, -1)).map((e) => JSON.parse(e) as AuditEntry);
  const slack = new SlackDriver(fake, receivers[0]!, SIGNING_SECRET);

  const shipgate = {
    prefix,
    /** The configuration as written, for a child process to read. */
    yaml,
    calendarsDir,
    /** The environment a child `shipgate` process needs to run against this Shipgate. */
    cliEnv(): Record<string, string> {
      return {
        ...options.env,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: fake.apiUrl,
        SHIPGATE_CONFIG: writeTempFile('shipgate.yml', yaml),
        SHIPGATE_CALENDARS: calendarsDir,
        DEPLOY_SECRET,
        REDIS_URL: TEST_REDIS_URL,
        SHIPGATE_AUDIT_KEY: AUDIT_KEY,
      };
    },
    /** A `shipgate worker` in a child process, to be killed mid-job. */
    spawnWorker() {
      return spawnShipgate(['worker'], this.cliEnv());
    },
    /** Rewrites a calendar file, as an operator would while Shipgate runs. */
    writeCalendar(file: string, text: string) {
      writeFileSync(join(calendarsDir, file), text);
    },
    keys,
    redis,
    store,
    receivers,
    clock,
    runtimeOptions,
    startWorker: startWorkerHere,
    /** Commit attempts and commits applied, summed over every receiver and worker of this Shipgate. */
    commits(): { attempts: number; commits: number } {
      return running.reduce((sum, r) => ({ attempts: sum.attempts + r.commits.attempts, commits: sum.commits + r.commits.commits }), { attempts: 0, commits: 0 });
    },
    /** The promotion record behind a message (its buttons and context carry the id). */
    async promotion(message: SlackMessage | string): Promise<Promotion> {
      const id = typeof message === 'string' ? message : idOf(fake.refreshed(message));
      const stored = await store.get(id);
      if (!stored) throw new Error(`no promotion ${id}`);
      return stored.promotion;
    },
    async history(app: string, env: string) {
      return store.history(app, env);
    },
    async live(app: string, env: string) {
      return (await store.current(app, env))?.version ?? null;
    },
    /** Every chain's entries, merged by time; each chain keeps its own order. */
    async auditEntries(): Promise<AuditEntry[]> {
      return mergeByTime(await Promise.all((await audit.chains()).map(chainEntries)));
    },
    /** The chain of one app and environment (or, with nulls, the unscoped chain), in order. */
    async auditEntriesOf(app: string | null, env: string | null): Promise<AuditEntry[]> {
      return chainEntries(chainName(app, env));
    },
    audit,
    async promotionCount(): Promise<number> {
      return redis.zcard(keys.all);
    },
  };

  /** Sends a /promote command and waits for the promotion message it produces in CHANNEL. */
  const ask = async (user: string, text: string, channel: string) => {
    const before = fake.topLevelIn(channel).length;
    const ack = await slack.command(user, text);
    const message = await eventually(() => {
      const posted = fake.topLevelIn(channel)[before];
      if (!posted) throw new Error(`no new message in ${channel} after "${text}" (ack: ${ack.text})`);
      return posted;
    });
    return { ack, message };
  };

  /** Walks VERSION up the standard path to ENV, approving each step as its approvers would. */
  const bring = async (version: string, env: 'development' | 'staging' | 'production') => {
    const path = ['development', 'staging', 'production'].slice(0, ['development', 'staging', 'production'].indexOf(env) + 1);
    for (const step of path) {
      if ((await store.current('web', step))?.version === version) continue;
      const { message } = await ask(PEOPLE.alice, `/promote web ${version} to ${step}`, step === 'production' ? 'C0PROD' : 'C0DEPLOYS');
      for (const approver of STANDARD_APPROVERS[step] ?? []) await slack.click(approver, message, 'Approve');
      await eventually(async () => {
        if ((await store.current('web', step))?.version !== version) throw new Error(`web ${version} has not reached ${step}`);
      });
    }
  };

  return {
    ask,
    bring,
    slack,
    fake,
    deployTarget,
    shipgate,
    async close() {
      await Promise.allSettled(running.map((r) => r.close()));
      await deleteKeysUnder(redis, prefix);
      redis.disconnect();
      await fake.close();
      await deployTarget.close();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startShipgate>>;

/** Merges ordered chains by entry time, never reordering entries of one chain. */
function mergeByTime(chains: AuditEntry[][]): AuditEntry[] {
  const merged: AuditEntry[] = [];
  const next = chains.map(() => 0);
  for (;;) {
    let pick = -1;
    chains.forEach((chain, i) => {
      const candidate = chain[next[i]!];
      if (candidate && (pick < 0 || candidate.at < chains[pick]![next[pick]!]!.at)) pick = i;
    });
    if (pick < 0) return merged;
    merged.push(chains[pick]![next[pick]!]!);
    next[pick]!++;
  }
}

export function idOf(message: SlackMessage): string {
  const fromButton = buttonsOf(message)[0]?.value;
  if (fromButton) return fromButton;
  const context = message.blocks.find((b) => b.type === 'context')?.elements?.[0];
  const text = typeof context?.text === 'string' ? context.text : context?.text?.text ?? '';
  const id = /\bsg-\d+\b/.exec(text)?.[0];
  if (!id) throw new Error('the message names no promotion');
  return id;
}
