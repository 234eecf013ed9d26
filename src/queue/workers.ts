import { DelayedError, Worker, type Job } from 'bullmq';
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

function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * Calls the executor for a promotion in `deploying`. Delivery is at least once:
 * a stalled job runs again and the target sees the same Idempotency-Key; a job for
 * a promotion no longer deploying does nothing.
 */
export function createDeployWorker(deps: WorkerDeps): Worker<DeployJob> {
  const { config, store, service, log, clock } = deps;
  return new Worker<DeployJob>(
    QUEUE.deploy,
    async (job, token) => {
      if (job.name === 'check-window') {
        // A delayed job may fire a little early: wait out the rest, then ask the calendar.
        const early = (job.data.at ?? 0) - clock.now();
        if (early > 0 && token) {
          await job.moveToDelayed(Date.now() + early, token);
          throw new DelayedError();
        }
        await service.checkWindow(job.data.promotionId);
        return;
      }
      const stored = await store.get(job.data.promotionId);
      if (!stored || stored.promotion.state !== 'deploying') return;
      const p = stored.promotion;
      const plog = log.child({ promotion: p.id, attempt: job.attemptsMade + 1 });
      const { executor } = executorFor(config, p.app, p.environment);
      try {
        await createExecutor(executor).deploy(deployRequestFor(p));
      } catch (error) {
        const reason = (error as Error).message;
        plog.warn({ reason }, 'deployment attempt failed');
        if (!isLastAttempt(job)) throw error;
        await service.deploymentFailed(p.id, `${reason} (after ${job.attemptsMade + 1} attempts)`);
        return;
      }
      plog.info('deployment accepted by the executor');
      await service.deploymentSucceeded(p.id);
    },
    workerOptions(deps, 4),
  );
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
        return publisher.notes(data.promotionId, data.position);
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

/** `worker.close()` waits for running jobs without a limit; give it one. */
export async function closeWithin(close: () => Promise<void>, ms: number, force?: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const result = await Promise.race([close().then(() => 'closed' as const), timedOut]);
  clearTimeout(timer);
  if (result === 'timeout' && force) await force();
}
