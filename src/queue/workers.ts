import { DelayedError, Worker } from 'bullmq';
import type { Clock } from '../service/ports.js';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { executorFor } from '../config/to-policy.js';
import type { ShipgateConfig } from '../config/schema.js';
import { createExecutor } from '../executors/create-executor.js';
import { deployRequestFor } from '../executors/executor.js';
import type { PromotionService } from '../service/promotion-service.js';
import type { MessagePublisher } from '../slack/message-publisher.js';
import { RetryLaterError } from '../slack/delivery-errors.js';
import type { PromotionStore } from '../store/promotion-store.js';
import { QUEUE, type DeployJob, type SlackJob } from './queues.js';

export interface WorkerDeps {
  clock: Clock;
  connection: Redis;
  config: ShipgateConfig;
  store: PromotionStore;
  service: PromotionService;
  publisher: MessagePublisher;
  log: Logger;
}

/**
 * The deploy queue: `deploy` calls the executor for a promotion in `deploying`;
 * `check-window` asks the calendar again; the follow-up transitions run here too, and
 * the `sweep` scheduler re-queues what any pending promotion waits on.
 *
 * A deployment ends `failed` through BullMQ's own `failed` event, once BullMQ has
 * given up on the job (attempts exhausted, stalled too often, or an unrecoverable
 * error): never from a guess inside the processor. Delivery is at least once: a
 * retried job sends the same Idempotency-Key, and a job for a promotion no longer
 * deploying does nothing.
 */
export function createDeployWorker(deps: WorkerDeps, followUps: FollowUpHandlers): Worker<DeployJob> {
  const { config, service, log, clock } = deps;
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
        case 'start-queued':
          return void (await service.startQueued(id));
        case 'mark-rolled-back':
          return service.markRolledBack(id, job.data.rollbackId ?? '');
        case 'alert-rollback':
          return followUps.alertRollback(id, job.data.alertKey ?? '');
        case 'sweep':
          return void (await followUps.sweep());
      }
      const call = await service.deployCall(id);
      if (call.call === 'wait' && token) {
        // Not an attempt: look again shortly, once `from` settles.
        await job.moveToDelayed(Date.now() + 500, token);
        throw new DelayedError();
      }
      if (call.call !== true) return;
      const p = call.promotion;
      const { executor } = executorFor(config, p.app, p.environment);
      try {
        await createExecutor(executor).deploy(deployRequestFor(p));
      } catch (error) {
        log.warn({ promotion: p.id, attempt: job.attemptsMade + 1, reason: (error as Error).message }, 'deployment attempt failed');
        throw error;
      }
      log.info({ promotion: p.id }, 'deployment accepted by the executor');
      await service.deploymentSucceeded(p.id);
    },
    workerOptions(deps, 4),
  );
  worker.on('failed', (job, error) => {
    // finishedOn is set only when BullMQ will not try again.
    if (!job || job.name !== 'deploy' || !job.finishedOn || !job.data.promotionId) return;
    const reason = `${error.message} (after ${job.attemptsMade} attempts)`;
    service.deploymentFailed(job.data.promotionId, reason).catch((err: unknown) => log.error({ err, promotion: job.data.promotionId }, 'could not record a failed deployment; the sweep will'));
  });
  return worker;
}

/** Follow-up work the deploy worker runs for other services. */
export interface FollowUpHandlers {
  alertRollback(promotionId: string, alertKey: string): Promise<void>;
  sweep(): Promise<unknown>;
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
