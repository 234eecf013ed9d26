import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import ms from 'ms';
import type { Clock } from '../service/ports.js';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { executorFor, settingsFor } from '../config/to-policy.js';
import type { ShipgateConfig } from '../config/schema.js';
import type { Promotion } from '../domain/promotion.js';
import { executorTiming } from '../executors/create-executor.js';
import type { ExecutorPool } from '../executors/executor-pool.js';
import { DeployError, deployRequestFor, type DeploymentHandle, type DeploymentStatus } from '../executors/executor.js';
import type { PromotionService } from '../service/promotion-service.js';
import type { MessagePublisher } from '../slack/message-publisher.js';
import { RetryLaterError } from '../slack/delivery-errors.js';
import type { PromotionStore } from '../store/promotion-store.js';
import { QUEUE, type DeployJob, type SlackJob } from './queues.js';
import { deployJobId } from './bull-jobs.js';

export interface WorkerDeps {
  clock: Clock;
  connection: Redis;
  config: ShipgateConfig;
  store: PromotionStore;
  service: PromotionService;
  publisher: MessagePublisher;
  log: Logger;
  /** The process's executors, shared with the drift checks. */
  executors: ExecutorPool;
}

/**
 * The deploy queue: `deploy` calls the executor for a promotion in `deploying`;
 * `check-window` asks the calendar again; the follow-up transitions run here too, and
 * the `sweep` scheduler re-queues what any pending promotion waits on.
 *
 * `deploy` follows the asynchronous executor contract (DeploymentDriver): it starts the
 * deployment once, then polls it with delayed jobs until it settles or times out.
 * A deployment ends `failed` through BullMQ's own `failed` event, once BullMQ has
 * given up on the job (attempts exhausted, stalled too often, or an unrecoverable
 * error): never from a guess inside the processor. Delivery is at least once: a
 * retried job sends the same Idempotency-Key, and a job for a promotion no longer
 * deploying does nothing.
 */
export function createDeployWorker(deps: WorkerDeps, followUps: FollowUpHandlers): Worker<DeployJob> {
  const { service, log, clock } = deps;
  const deployment = new DeploymentDriver(deps);
  const worker = new Worker<DeployJob>(
    QUEUE.deploy,
    async (job, token) => {
      const id = job.data.promotionId ?? '';
      switch (job.name) {
        case 'check-window': {
          // A delayed job may fire a little early: wait out the rest, then ask the calendar.
          const early = (job.data.at ?? 0) - clock.now();
          if (early > 0 && token) {
            await job.moveToDelayed(Date.now() + early, token);
            throw new DelayedError();
          }
          return service.checkWindow(id);
        }
        case 'remind': {
          const early = (job.data.at ?? 0) - clock.now();
          if (early > 0 && token) {
            await job.moveToDelayed(Date.now() + early, token);
            throw new DelayedError();
          }
          return service.remind(id, job.data.stage ?? 'remind', job.data.at ?? 0);
        }
        case 'start-queued':
          return void (await service.startQueued(id));
        case 'mark-rolled-back':
          return service.markRolledBack(id, job.data.rollbackId ?? '');
        case 'alert-rollback':
          return followUps.alertRollback(id, job.data.alertKey ?? '');
        case 'sweep':
          return void (await followUps.sweep());
        case 'archive':
          return followUps.archive();
        case 'drift-check':
          return void (await followUps.driftCheck(job.data.app ?? '', job.data.environment ?? ''));
        case 'refresh-copy':
          return followUps.refresh?.copy(job, token);
        case 'refresh-scan':
          return followUps.refresh?.scan(job.data.refreshId ?? '');
        case 'freeze-notices':
          return void (await followUps.freezeNotices?.());
        case 'drill-due':
          return void (await followUps.drillDue(job.data.app ?? '', job.data.environment ?? ''));
      }
      // A drill's legs share the promotion: the job of a leg already over (run again after it stalled) must not act on the next one.
      if (await isPastLeg(deps.store, id, job.id)) return;
      const call = await service.deployCall(id);
      if (call.call === 'wait' && token) {
        // Not an attempt: look again shortly, once `from` settles.
        await job.moveToDelayed(Date.now() + 500, token);
        throw new DelayedError();
      }
      if (call.call !== true) return;
      await deployment.advance(call.promotion, job, token);
    },
    workerOptions(deps, 4),
  );
  worker.on('failed', (job, error) => {
    // finishedOn is set only when BullMQ will not try again.
    if (job?.finishedOn && job.data.refreshId && followUps.refresh) {
      const reason = `${error.message} (after ${job.attemptsMade} attempts)`;
      followUps.refresh.gaveUp(job.name, job.data.refreshId, reason).catch((err: unknown) => log.error({ err, refresh: job.data.refreshId }, 'could not record a failed refresh job'));
      return;
    }
    if (!job || job.name !== 'deploy' || !job.finishedOn || !job.data.promotionId) return;
    const reason = `${error.message} (after ${job.attemptsMade} attempts)`;
    const id = job.data.promotionId;
    isPastLeg(deps.store, id, job.id)
      .then((past) => (past ? undefined : service.deploymentFailed(id, reason)))
      .catch((err: unknown) => log.error({ err, promotion: job.data.promotionId }, 'could not record a failed deployment; the sweep will'));
  });
  return worker;
}

/** True when the job belongs to a drill's leg that is no longer the one deploying. */
async function isPastLeg(store: PromotionStore, id: string, jobId: string | undefined): Promise<boolean> {
  const p = (await store.get(id))?.promotion;
  return !!p?.drill && p.state === 'deploying' && jobId !== deployJobId(p);
}

/**
 * Drives one deployment through the asynchronous executor contract, one step per run of
 * its job: `start` once (idempotent on the promotion id, so a worker that died before the
 * handle was stored starts nothing new), the handle recorded before the first poll, then
 * `status` polled by moving the job to the delayed set (which uses no attempt) until the
 * deployment settles or the executor's `timeout` since the first call passes.
 */
class DeploymentDriver {
  constructor(private readonly deps: WorkerDeps) {}

  async advance(p: Promotion, job: Job<DeployJob>, token: string | undefined): Promise<void> {
    const { config, service, clock } = this.deps;
    const log = this.deps.log.child({ promotion: p.id });
    const { executor: executorConfig } = executorFor(config, p.app, p.environment);
    const executor = this.deps.executors.for(p.app, p.environment);
    const { pollEveryMs, timeoutMs } = executorTiming(executorConfig);
    let handle = p.deployment?.handle ?? null;
    if (!handle) {
      let started: DeploymentHandle;
      try {
        started = await executor.start(deployRequestFor(p, settingsFor(config, p.app, p.environment)));
      } catch (error) {
        log.warn({ attempt: job.attemptsMade + 1, reason: (error as Error).message }, 'deployment attempt failed');
        // Trying again cannot help (bad credentials, an unknown workflow): fail now, not after every attempt.
        if (error instanceof DeployError && error.permanent) throw new UnrecoverableError(error.message);
        throw error;
      }
      log.info({ link: started.link }, 'deployment started by the executor');
      // A deployment that settles at once (a webhook answered 200) leaves nothing to follow.
      const first = await executor.status(started.handle).catch((error: unknown) => (error instanceof DeployError ? null : Promise.reject(error)));
      if (first && first.state !== 'running') return this.settle(p.id, first, log);
      handle = await service.deploymentRunning(p.id, started.handle, started.link);
      if (!handle) return;
    } else {
      let status: DeploymentStatus;
      try {
        status = await executor.status(handle);
      } catch (error) {
        // A passing fault while polling costs no attempt: the timeout bounds the deployment.
        if (!(error instanceof DeployError)) throw error;
        log.warn({ reason: error.message }, 'could not read the deployment status; polling again');
        status = { state: 'running', link: null, detail: error.message };
      }
      if (status.state !== 'running') return this.settle(p.id, status, log);
      const since = p.deployment?.calledAt ?? p.deployment?.startedAt ?? clock.now();
      if (clock.now() - since >= timeoutMs) {
        log.warn({ timeoutMs }, 'deployment did not finish in time');
        if (executor.cancel) await executor.cancel(handle).catch((error: unknown) => log.warn({ reason: (error as Error).message }, 'could not cancel the deployment'));
        await service.deploymentFailed(p.id, `the deployment did not finish within ${ms(timeoutMs, { long: true })}${status.detail ? ` (last seen: ${status.detail})` : ''}; it was cancelled where the executor can`, status.link);
        return;
      }
    }
    if (!token) throw new Error('a deployment that runs on needs its job token to poll');
    await job.moveToDelayed(Date.now() + pollEveryMs, token);
    throw new DelayedError();
  }

  private async settle(id: string, status: Exclude<DeploymentStatus, { state: 'running' }>, log: Logger): Promise<void> {
    if (status.state === 'succeeded') {
      log.info('deployment succeeded');
      await this.deps.service.deploymentSucceeded(id);
    } else {
      log.warn({ reason: status.reason }, 'deployment failed');
      await this.deps.service.deploymentFailed(id, status.reason, status.link);
    }
  }
}

/** Follow-up work the deploy worker runs for other services. */
export interface FollowUpHandlers {
  alertRollback(promotionId: string, alertKey: string): Promise<void>;
  sweep(): Promise<unknown>;
  /** Compare what runs in an app and environment with the ledger (a `drift-check` scheduler's job). */
  driftCheck(app: string, environment: string): Promise<unknown>;
  /** Move what is older than the retention to the archive (the `archive` scheduler's job). */
  archive(): Promise<unknown>;
  /** A data refresh's copy and masking scan; `gaveUp` when BullMQ will not try one of them again. */
  refresh?: {
    copy(job: Job<DeployJob>, token: string | undefined): Promise<void>;
    scan(refreshId: string): Promise<void>;
    gaveUp(jobName: string, refreshId: string, reason: string): Promise<void>;
  };
  /** Tell each environment's channel of a calendar freeze about to start (the `freeze-notices` scheduler's job). */
  freezeNotices?(): Promise<unknown>;
  /** Start a scheduled rollback drill if one is due and the window open (a `drill-due` scheduler's job). */
  drillDue(app: string, environment: string): Promise<unknown>;
}

/**
 * Posts and updates Slack messages. There is no queue-wide limiter: each write takes a
 * slot of its channel's rate (ChannelRate), so a busy channel never slows another. A job
 * that must wait (the channel's budget is spent, Slack answered 429, another worker holds
 * the message) moves to the delayed set until then, without using up an attempt.
 */
export function createSlackWorker(deps: WorkerDeps): Worker<SlackJob> {
  const { publisher } = deps;
  const run = (data: SlackJob): Promise<void> => {
    switch (data.kind) {
      case 'render':
        return publisher.render(data.promotionId, data.force);
      case 'render-alert':
        return publisher.renderAlert(data.alertKey);
      case 'note':
        return publisher.notes(data.promotionId);
      case 'alert-note':
        return publisher.alertNote(data.promotionId, data.key, data.text);
      case 'render-drift':
        return publisher.renderDrift(data.app, data.environment);
      case 'render-refresh':
        return publisher.renderRefresh(data.refreshId);
      case 'refresh-note':
        return publisher.refreshNote(data.refreshId, data.key, data.text);
    }
  };
  return new Worker<SlackJob>(
    QUEUE.slack,
    async (job, token) => {
      try {
        await run(job.data);
      } catch (error) {
        if (!(error instanceof RetryLaterError) || !token) throw error;
        await job.moveToDelayed(Date.now() + error.ms, token);
        throw new DelayedError();
      }
    },
    workerOptions(deps, 4),
  );
}

function workerOptions(deps: WorkerDeps, concurrency: number) {
  return {
    connection: deps.connection,
    prefix: deps.config.queue.prefix,
    concurrency,
    lockDuration: deps.config.queue.lock_duration,
    stalledInterval: deps.config.queue.stalled_interval,
  };
}

/**
 * `worker.close()` waits for running jobs without a limit, and BullMQ memoizes it, so a
 * later `close(true)` only returns the same pending promise. After `ms`, stop waiting
 * and cut the worker's connections instead: its jobs' locks lapse and another worker
 * picks them up as stalled.
 */
export async function closeWithin(worker: Pick<Worker, 'close' | 'disconnect'>, ms: number): Promise<'closed' | 'forced'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'forced'>((resolve) => {
    timer = setTimeout(() => resolve('forced'), ms);
  });
  const result = await Promise.race([worker.close().then(() => 'closed' as const), timedOut]);
  clearTimeout(timer);
  if (result === 'forced') await worker.disconnect().catch(() => undefined);
  return result;
}
