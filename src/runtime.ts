import type { Queue } from 'bullmq';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { LoadedConfig } from './config/load-config.js';
import { toPolicy } from './config/to-policy.js';
import { unknownEnvironment, type Policy } from './domain/policy.js';
import { healthRoutes } from './http/health-routes.js';
import { serveRoutes } from './http/route-server.js';
import { createMetrics, type Metrics } from './metrics.js';
import { AlertStore } from './store/alert-store.js';
import { AlertService } from './service/alert-service.js';
import { alertRoutes } from './http/alert-routes.js';
import { BullJobs } from './queue/bull-jobs.js';
import { createQueues, type Queues } from './queue/queues.js';
import { connectRedis } from './queue/redis-connection.js';
import { closeWithin, createDeployWorker, createSlackWorker } from './queue/workers.js';
import { OutboxRelay } from './queue/outbox-relay.js';
import { dispatchFollowUp } from './service/follow-up.js';
import { sweep } from './service/reconciler.js';
import { Retention } from './store/retention.js';
import { AuditArchive } from './store/audit-archive.js';
import { resolve } from 'node:path';
import { sweepRefreshes } from './service/refresh-sweep.js';
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from './service/ports.js';
import { PromotionService } from './service/promotion-service.js';
import { readStatus, type LedgerReader } from './service/status-query.js';
import { readHome } from './service/home-query.js';
import { readLedgers } from './store/ledger-read.js';
import { createSlackApp } from './slack/create-slack-app.js';
import { SlackDirectory } from './slack/directory.js';
import { registerPromoteCommand, type CommandRunner } from './slack/listeners/promote-command.js';
import { registerPromotionButtons } from './slack/listeners/promotion-buttons.js';
import { registerAppHome } from './slack/listeners/app-home.js';
import { openPromoteModal, registerPromoteModal } from './slack/listeners/promote-modal.js';
import { MessagePublisher } from './slack/message-publisher.js';
import { createSlackReader, createSlackWriter } from './slack/slack-client.js';
import { CHANNEL_RATE, ChannelRate, type ChannelRateLimit } from './slack/channel-rate.js';
import { statusText } from './slack/views/status.js';
import { locksText } from './slack/views/locks-text.js';
import { LockStore } from './store/lock-store.js';
import { LockService } from './service/lock-service.js';
import { DelegationService } from './service/delegation-service.js';
import { DelegationStore } from './store/delegation-store.js';
import { delegationsText } from './slack/views/delegations-text.js';
import { calendarText } from './slack/views/calendar-text.js';
import { calendarReport } from './service/calendar-report.js';
import { CalendarSource } from './config/load-calendars.js';
import { FreezeService } from './service/freeze-service.js';
import { sendFreezeNotices } from './service/freeze-notices.js';
import { NoticeStore } from './store/notice-store.js';
import { keysFor, type Keys } from './store/keys.js';
import { createGateWorker } from './queue/gate-worker.js';
import { PromotionStore } from './store/promotion-store.js';
import { GateProgressLog } from './store/gate-progress.js';
import type { CommitTally } from './store/contention.js';
import type { AuditKey } from './store/audit-key.js';
import { AuditWriter } from './store/audit-writer.js';
import { DriftStore } from './store/drift-store.js';
import { DriftService } from './service/drift-service.js';
import { registerDriftButtons } from './slack/listeners/drift-buttons.js';
import { ExecutorPool } from './executors/executor-pool.js';
import { driftTargets, scheduleDriftChecks } from './queue/drift-schedule.js';
import { drillTargets, scheduleDrills } from './queue/drill-schedule.js';
import { AUTOMATIC } from './domain/request.js';
import { githubServe, githubWorker } from './github/github-runtime.js';
import { registerDeliveryMetrics } from './delivery-metrics.js';
import { lastVerification } from './store/audit-verification.js';
import { readFigures, reportScope, type DeliverySource } from './service/delivery-report.js';
import { reportRows } from './domain/delivery-report.js';
import { deliveryReportMessage } from './slack/views/delivery-report.js';
import { toRefreshPolicy } from './config/to-refresh-policy.js';
import { RefreshStore } from './store/refresh-store.js';
import { RefreshService } from './service/refresh-service.js';
import { RefreshDriver } from './queue/refresh-driver.js';
import { registerRefreshButtons } from './slack/listeners/refresh-buttons.js';
import { refreshFlagsText } from './slack/views/refresh-flags-text.js';

export interface RuntimeOptions {
  config: LoadedConfig;
  /** Shared by the receiver and the workers of one process, so /metrics shows both. */
  metrics?: Metrics;
  /** Folder of the release calendars (SHIPGATE_CALENDARS). */
  calendarsDir: string;
  redisUrl: string;
  /** `timeoutMs` limits each Web API call the workers make (default SLACK_CALL_TIMEOUT_MS). */
  slack: { botToken: string; signingSecret: string | null; appToken: string | null; apiUrl: string | null; timeoutMs?: number };
  log: Logger;
  clock?: Clock;
  /** Keys the audit chains (SHIPGATE_AUDIT_KEY); prints as [redacted]. */
  auditKey: AuditKey;
  /** Writes per Slack channel (default CHANNEL_RATE, Slack's documented rate); tests run faster. */
  slackRate?: ChannelRateLimit;
}

/** The objects one process shares between its Slack receiver and its workers. */
export class Runtime {
  readonly policy: Policy;
  readonly redis: Redis;
  readonly queues: Queues;
  readonly store: PromotionStore;
  readonly service: PromotionService;
  readonly client: WebClient;
  readonly clock: Clock;
  readonly calendars: CalendarSource;
  readonly alertStore: AlertStore;
  readonly alerts: AlertService;
  readonly metrics: Metrics;
  readonly jobs: BullJobs;
  readonly keys: Keys;
  /** Writes audit entries into the commits of every store. */
  readonly audit: AuditWriter;
  readonly driftStore: DriftStore;
  /** `/promote lock` and `unlock`: stop-the-line per environment (or app in it). */
  readonly locks: LockService;
  /** `/promote freeze` and `unfreeze`: ad-hoc freezes of an environment's calendar. */
  readonly freezes: FreezeService;
  /** `/promote delegate`, `undelegate` and `delegations`: approval rights handed on for a time. */
  readonly delegations: DelegationService;
  readonly drift: DriftService;
  readonly delivery: DeliverySource;
  /** Ledgers and active promotions of any apps, in one pipelined read: `/promote status` and App Home. */
  readonly ledgers: LedgerReader;
  readonly refreshStore: RefreshStore;
  /** `/promote refresh`: data copies between environments, masked, approved and on record. */
  readonly refreshes: RefreshService;

  constructor(readonly options: RuntimeOptions, role: 'http' | 'worker') {
    const { config } = options.config;
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics ?? createMetrics();
    this.policy = toPolicy(config, options.config.hash);
    this.redis = connectRedis(options.redisUrl, role);
    const keys = keysFor(config.queue.prefix);
    this.keys = keys;
    this.ledgers = (pairs) => readLedgers(this.redis, keys, pairs);
    this.queues = createQueues(this.redis, config.queue.prefix);
    // Facts about a known app and environment get that pair's own chain; anything else goes to the unscoped one.
    const audit = new AuditWriter(keys, options.auditKey, { scoped: (app, env) => this.policy.apps.has(app) && this.policy.environments.has(env) });
    this.audit = audit;
    this.store = new PromotionStore(this.redis, keys, () => this.clock.now(), audit, { onConflict: (kind) => this.metrics.commitConflicts.inc({ kind }) });
    const slackOptions = { apiUrl: options.slack.apiUrl, ...(options.slack.timeoutMs ? { timeoutMs: options.slack.timeoutMs } : {}) };
    this.client = createSlackWriter(options.slack.botToken, slackOptions);
    const directory = new SlackDirectory(createSlackReader(options.slack.botToken, slackOptions), this.redis, keys, config.slack.usergroup_cache);
    this.calendars = new CalendarSource(config, options.calendarsDir, (environment, error) =>
      options.log.error({ environment, err: error.message }, 'calendar file is invalid; the last valid calendar stays in force'),
    );
    this.refreshStore = new RefreshStore(this.redis, keys, () => this.clock.now(), audit);
    this.jobs = new BullJobs(this.queues, config, this.clock, (id) => this.refreshStore.get(id));
    this.delegations = new DelegationService(this.policy, new DelegationStore(this.redis, keys, () => this.clock.now(), audit), directory, this.clock, options.log);
    this.service = new PromotionService(this.policy, this.calendars, this.store, directory, this.clock, options.log, this.delegations);
    this.refreshes = new RefreshService(toRefreshPolicy(config, options.config.hash), this.refreshStore, directory, this.clock, options.log);
    this.alertStore = new AlertStore(this.redis, keys, () => this.clock.now(), audit);
    this.driftStore = new DriftStore(this.redis, keys, () => this.clock.now(), audit);
    const lockStore = new LockStore(this.redis, keys, () => this.clock.now(), audit);
    this.locks = new LockService(this.policy, lockStore, directory, this.clock, options.log);
    this.freezes = new FreezeService(this.policy, lockStore, directory, this.clock, options.log);
    this.drift = new DriftService(this.policy, this.driftStore, this.service, directory, this.clock, options.log, (app, environment, ms) => {
      this.metrics.driftDetected.inc({ app, environment });
      this.metrics.driftDetection.observe({ app, environment }, ms / 1000);
    });
    const defaultChannel = config.slack.channel ?? [...this.policy.environments.values()][0]!.channel;
    this.alerts = new AlertService(this.policy, defaultChannel, this.alertStore, this.store, this.service, this.clock, options.log, (seconds, automatic) =>
      this.metrics.alertToRollback.observe({ automatic: String(automatic) }, seconds),
    );
    const pairs = [...this.policy.apps.keys()].flatMap((app) => [...this.policy.environments.keys()].map((env) => [app, env] as const));
    this.delivery = { redis: this.redis, keys, pairs, failureWindowMs: config.metrics.failure_window, resolveWithinMs: config.slo.resolve_failed_within, now: () => this.clock.now() };
    registerDeliveryMetrics(this.metrics.registry, async () => {
      const [figures, audit, queues] = await Promise.all([
        readFigures(this.delivery, config.metrics.window),
        lastVerification(this.redis, keys),
        Promise.all([this.queues.deploy, this.queues.slack, this.queues.gates].map(async (q: Queue) => ({ queue: q.name, counts: await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children') }))),
      ]);
      return { figures, queues, audit };
    });
  }

  publisher(): MessagePublisher {
    const { client, store, redis, keys, policy, calendars, clock, alertStore: alerts } = this;
    const rate = new ChannelRate(redis, keys, this.options.slackRate ?? CHANNEL_RATE);
    return new MessagePublisher({ client, store, alerts, redis, keys, policy, calendars, clock, log: this.options.log, rate, drifts: this.driftStore, refreshes: this.refreshStore });
  }

  async close(): Promise<void> {
    await this.queues.close();
    this.redis.disconnect();
  }
}

export interface Running {
  /** The HTTP port, when this process serves Slack or (a worker) its health routes. */
  port: number | null;
  /** Commit attempts against commits applied by this process's promotion store. */
  commits: CommitTally;
  close(): Promise<void>;
}

function withNoPromotion(result: { ok: true; reply: string } | { ok: false; reason: string }) {
  return result.ok ? { ...result, promotion: null } : result;
}

function commandRunner(runtime: Runtime): CommandRunner {
  return async (command, user) => {
    switch (command.type) {
      case 'promote':
        return runtime.service.request({ ...command, requester: user });
      case 'rollback':
        return runtime.service.rollback({ ...command, requester: user });
      case 'rehearse':
        return runtime.service.rehearse({ app: command.app, environment: command.environment, requester: user });
      case 'cancel':
        return runtime.service.cancel(command.id, user);
      case 'status': {
        const [status, locks, flags] = await Promise.all([readStatus(runtime.policy, runtime.ledgers, command.app), runtime.locks.all(), runtime.refreshes.flags()]);
        const shown = locks.filter((l) => command.app === null || l.app === null || l.app === command.app);
        return status.ok ? { ok: true, reply: [statusText(status.apps), locksText(shown), refreshFlagsText(flags)].filter(Boolean).join('\n\n'), promotion: null } : status;
      }
      case 'lock': {
        // The word after the environment names an app only when it is one; otherwise the reason starts there.
        const app = command.app !== null && runtime.policy.apps.has(command.app) ? command.app : null;
        const reason = app === null ? command.reason : command.reason.split(/\s+/).slice(1).join(' ');
        return withNoPromotion(await runtime.locks.lock(command.environment, app, user, reason));
      }
      case 'unlock':
        return withNoPromotion(await runtime.locks.unlock(command.environment, command.app, user));
      case 'refresh':
        return withNoPromotion(await runtime.refreshes.request({ dataset: command.dataset, from: command.from, to: command.to, reason: command.reason, requester: user }));
      case 'freeze':
        return withNoPromotion(await runtime.freezes.freeze({ ...command, user }));
      case 'unfreeze':
        return withNoPromotion(await runtime.freezes.unfreeze(command.environment, user));
      case 'delegate':
        return withNoPromotion(await runtime.delegations.delegate(user, command.delegate, command.until, command.environments));
      case 'undelegate':
        return withNoPromotion(await runtime.delegations.undelegate(user, command.delegate));
      case 'delegations':
        return { ok: true, reply: delegationsText(await runtime.delegations.inForce()), promotion: null };
      case 'calendar': {
        const unknown = unknownEnvironment(runtime.policy, command.environment);
        if (unknown) return { ok: false, reason: unknown };
        const adHoc = await runtime.freezes.all();
        return { ok: true, reply: calendarText(calendarReport(runtime.calendars, command.environment, runtime.clock.now(), 4, adHoc)), promotion: null };
      }
      case 'report': {
        const scope = reportScope(runtime.policy, command.names);
        if (!scope.ok) return scope;
        const rows = reportRows(await readFigures(runtime.delivery, command.sinceMs), [...runtime.policy.environments.keys()], scope);
        const message = deliveryReportMessage(rows, scope.app, command.sinceMs);
        return { ok: true, reply: message.text, blocks: message.blocks };
      }
    }
  };
}

/** `shipgate serve`: the Slack receiver and the HTTP routes. */
export async function startServe(options: RuntimeOptions, port: number): Promise<Running> {
  const runtime = new Runtime(options, 'http');
  const github = githubServe(options.config.config, runtime.redis, (ask) => runtime.service.request(ask), options.log);
  const routes = [...healthRoutes(runtime.redis, runtime.metrics), ...alertRoutes(options.config.config.alerts, (alerts) => runtime.alerts.receive(alerts), () => runtime.clock.now()), ...(github?.routes ?? [])];
  const app = createSlackApp({ ...options.slack, port, routes, log: options.log });
  const { apps, environments } = runtime.policy;
  registerPromoteCommand(app, commandRunner(runtime), openPromoteModal([...apps.keys()], [...environments.keys()]), runtime.metrics);
  registerPromoteModal(app, runtime.service);
  registerPromotionButtons(app, runtime.service, runtime.metrics);
  registerDriftButtons(app, runtime.drift, runtime.metrics);
  registerRefreshButtons(app, runtime.refreshes, runtime.metrics);
  registerAppHome(
    app,
    () => readHome(runtime.policy, runtime.ledgers, runtime.delivery, async () => ({ locks: await runtime.locks.all(), freezes: await runtime.freezes.all() })),
    async () => {
      const adHoc = await runtime.freezes.all();
      return [...runtime.policy.environments.keys()].map((env) => calendarReport(runtime.calendars, env, runtime.clock.now(), 1, adHoc));
    },
  );
  app.error(async (error) => {
    options.log.error({ err: error }, 'Slack listener failed');
  });
  const server = (await app.start(port)) as Server | undefined;
  const bound = server && typeof server.address === 'function' ? (server.address() as AddressInfo | null)?.port ?? port : port;
  options.log.info({ port: bound, mode: options.slack.appToken ? 'socket' : 'http' }, 'shipgate serve is listening');
  return {
    port: bound,
    commits: runtime.store.tally,
    async close() {
      await app.stop();
      await github?.close();
      await runtime.close();
    },
  };
}

/**
 * `shipgate worker`: deployments, gates, Slack message rendering, the outbox relay that
 * turns committed follow-up work into jobs, and the sweep that keeps every pending
 * promotion's job in place. With `httpPort`, it also serves /healthz, /readyz and /metrics
 * there (0: any free port), so a worker container has probes and metrics like `serve`.
 */
export async function startWorker(options: RuntimeOptions, httpPort: number | null = null): Promise<Running> {
  const runtime = new Runtime(options, 'worker');
  // Bound first, so a port already in use stops the start before any job is taken.
  const http = httpPort === null ? null : await serveRoutes(healthRoutes(runtime.redis, runtime.metrics), httpPort).catch(async (error: unknown) => {
    await runtime.close();
    throw error;
  });
  const { config } = options.config;
  // GitHub's clock checks the app's JWT, so it is signed with the wall clock, not a moved one.
  const github = githubWorker(config, runtime.redis, async (id) => (await runtime.store.get(id))?.promotion ?? null, () => Date.now(), options.log);
  const executors = new ExecutorPool(config, { log: options.log, now: () => runtime.clock.now(), ...(github ? { protectionRule: github.reviews } : {}) });
  const deps = { clock: runtime.clock, connection: runtime.redis, config, store: runtime.store, service: runtime.service, publisher: runtime.publisher(), log: options.log, executors };
  const facts = {
    deployed: (app: string, env: string) => runtime.store.current(app, env),
    alertsSince: (app: string, env: string, since: number) => runtime.alertStore.countSince(app, env, since),
  };
  const sweepNow = async () => ({ ...(await sweep(runtime.store, runtime.jobs, runtime.service, options.log)), refreshes: await sweepRefreshes(runtime.refreshes, runtime.jobs, options.log) });
  const driftCheck = (app: string, environment: string) => runtime.drift.check(app, environment, (a, env) => executors.for(a, env).current?.(a, env) ?? Promise.resolve(null));
  const retention = new Retention(runtime.redis, runtime.keys, new AuditArchive(resolve(config.retention.archive)), config.retention.after, () => runtime.clock.now());
  const refresh = new RefreshDriver(config, runtime.refreshes, runtime.clock, options.log);
  const notices = new NoticeStore(runtime.redis, runtime.keys, () => runtime.clock.now(), runtime.audit);
  const postNotice = async (channel: string, text: string) => (await runtime.client.chat.postMessage({ channel, text, unfurl_links: false })).ts ?? '';
  const freezeNotices = () => sendFreezeNotices(runtime.policy, runtime.calendars, runtime.store, notices, postNotice, runtime.clock, options.log);
  const drillDue = async (app: string, environment: string) => {
    const started = await runtime.service.rehearse({ app, environment, requester: AUTOMATIC, scheduled: true });
    options.log.info({ app, environment, ...(started.ok ? { promotion: started.promotion?.id } : { reason: started.reason }) }, started.ok ? 'scheduled rollback drill started' : 'no rollback drill now');
  };
  const followUps = { alertRollback: (promotionId: string, alertKey: string) => runtime.alerts.autoRollback(promotionId, alertKey), sweep: sweepNow, driftCheck, refresh, freezeNotices, archive: () => retention.run(), drillDue };
  const workers = [createDeployWorker(deps, followUps), createSlackWorker(deps), createGateWorker(deps, facts, { progress: new GateProgressLog(runtime.redis, runtime.keys), render: (id) => runtime.jobs.render(id) }), ...(github ? [github.worker] : [])];
  for (const worker of workers) worker.on('error', (error) => options.log.error({ err: error, queue: worker.name }, 'worker error'));
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const relay = new OutboxRelay(runtime.redis.duplicate(), runtime.keys.outbox, `relay-${randomUUID()}`, async (entry) => {
    await dispatchFollowUp(entry, runtime.jobs, runtime.store);
    await github?.afterFollowUp(entry);
  }, options.log);
  await relay.start();
  await runtime.queues.deploy.upsertJobScheduler('sweep', { every: config.queue.sweep_every }, { name: 'sweep', data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
  // Archival runs on one worker at a time (one job per tick, and a lock), and is safe to repeat.
  await runtime.queues.deploy.upsertJobScheduler('archive', { every: config.retention.every }, { name: 'archive', data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
  await scheduleDriftChecks(runtime.queues.deploy, driftTargets(config, executors));
  // Every worker upserts the same scheduler; notices are claimed once in Redis, so ticks on several workers send one.
  await runtime.queues.deploy.upsertJobScheduler('freeze-notices', { every: config.queue.sweep_every }, { name: 'freeze-notices', data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
  await scheduleDrills(runtime.queues.deploy, drillTargets(config, runtime.policy));
  const resumed = await sweepNow();
  await freezeNotices();
  options.log.info({ resumed, ...(http ? { port: http.port } : {}) }, 'shipgate worker is running');
  return {
    port: http?.port ?? null,
    commits: runtime.store.tally,
    async close() {
      await http?.close();
      await relay.stop();
      const closed = await Promise.all(workers.map((w) => closeWithin(w, config.queue.shutdown_grace)));
      if (closed.includes('forced')) options.log.warn({ graceMs: config.queue.shutdown_grace }, 'jobs were still running at shutdown; they resume on another worker');
      await github?.close();
      await runtime.close();
    },
  };
}
