import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Promotion } from '../domain/promotion.js';
import type { ReviewTarget } from './protection-request.js';
import type { ProtectionRuleReviews } from './protection-rule-reviews.js';

export const REVIEW_QUEUE = 'github-reviews';

/** `settle`: look at a promotion GitHub asked for after a change; `refuse`: answer a request no promotion came from. */
export type ReviewJob = { kind: 'settle'; promotionId: string } | { kind: 'refuse'; target: ReviewTarget; reason: string };

const DAY_SECONDS = 24 * 3600;
const jobOptions = (jobId: string) => ({
  jobId: jobId.replace(/[^A-Za-z0-9_-]/g, '_'),
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: DAY_SECONDS },
  removeOnFail: { age: 7 * DAY_SECONDS },
});

/** Answers to GitHub as BullMQ jobs, so a GitHub that does not answer is tried again and nothing is lost in a restart. */
export class ReviewQueue {
  private readonly queue: Queue<ReviewJob>;

  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<ReviewJob>(REVIEW_QUEUE, { connection, prefix });
  }

  /** `key` names the change (the promotion and its revision), so one change queues one look. */
  async settle(promotionId: string, key: string): Promise<void> {
    await this.queue.add('settle', { kind: 'settle', promotionId }, jobOptions(`settle-${key}`));
  }

  async refuse(delivery: string, target: ReviewTarget, reason: string): Promise<void> {
    await this.queue.add('refuse', { kind: 'refuse', target, reason }, jobOptions(`refuse-${delivery}`));
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export interface ReviewWorkerOptions {
  connection: Redis;
  prefix: string;
  lockDuration: number;
  stalledInterval: number;
}

export function createReviewWorker(options: ReviewWorkerOptions, reviews: ProtectionRuleReviews, promotion: (id: string) => Promise<Promotion | null>, log: Logger): Worker<ReviewJob> {
  const worker = new Worker<ReviewJob>(
    REVIEW_QUEUE,
    async (job) => {
      const data = job.data;
      if (data.kind === 'refuse') return reviews.refuse(data.target, data.reason);
      const p = await promotion(data.promotionId);
      if (p) await reviews.settle(p);
    },
    { connection: options.connection, prefix: options.prefix, concurrency: 2, lockDuration: options.lockDuration, stalledInterval: options.stalledInterval },
  );
  worker.on('failed', (job, error) => {
    if (job?.finishedOn) log.error({ promotion: job.data.kind === 'settle' ? job.data.promotionId : undefined, reason: error.message }, 'could not answer GitHub; its job waits until GitHub gives up');
  });
  return worker;
}
