import type { CustomRoute } from '@slack/bolt';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ShipgateConfig } from '../config/schema.js';
import type { Promotion } from '../domain/promotion.js';
import { githubWebhookRoute } from '../http/github-webhook-route.js';
import type { ServiceResult } from '../service/promotion-service.js';
import type { OutboxEntry } from '../store/outbox.js';
import type { MappedRequest } from './protection-request.js';
import { ProtectionRuleIntake } from './protection-rule-intake.js';
import { ProtectionRuleReviews } from './protection-rule-reviews.js';
import { GitHubReviewClient } from './review-client.js';
import { createReviewWorker, ReviewQueue } from './review-queue.js';
import { ReviewStore } from './review-store.js';

/** What `serve` adds for the GitHub App: the webhook route. Null without a `github:` section. */
export function githubServe(config: ShipgateConfig, redis: Redis, request: (ask: Extract<MappedRequest, { ok: true }>['ask']) => Promise<ServiceResult>, log: Logger): { routes: CustomRoute[]; close(): Promise<void> } | null {
  const github = config.github;
  if (!github) return null;
  const queue = new ReviewQueue(redis, config.queue.prefix);
  const intake = new ProtectionRuleIntake(github, new ReviewStore(redis, config.queue.prefix), queue, request, log);
  return { routes: [githubWebhookRoute(github.app.webhook_secret, intake)], close: () => queue.close() };
}

export interface GitHubWorker {
  reviews: ProtectionRuleReviews;
  worker: Worker;
  /** After each outbox entry: a change to a promotion GitHub asked for queues a look at whether to answer rejected. */
  afterFollowUp(entry: OutboxEntry): Promise<void>;
  close(): Promise<void>;
}

/** What `worker` adds for the GitHub App: the answers and their queue. Null without a `github:` section. */
export function githubWorker(config: ShipgateConfig, redis: Redis, promotion: (id: string) => Promise<Promotion | null>, now: () => number, log: Logger): GitHubWorker | null {
  const github = config.github;
  if (!github) return null;
  const { prefix } = config.queue;
  const reviews = new ProtectionRuleReviews(new ReviewStore(redis, prefix), new GitHubReviewClient(github, now), log);
  const queue = new ReviewQueue(redis, prefix);
  const worker = createReviewWorker({ connection: redis, prefix, lockDuration: config.queue.lock_duration, stalledInterval: config.queue.stalled_interval }, reviews, promotion, log);
  return {
    reviews,
    worker,
    async afterFollowUp(entry) {
      if (entry.kind !== 'promotion' || !(await reviews.hasTarget(entry.promotionId))) return;
      await queue.settle(entry.promotionId, `${entry.promotionId}-r${entry.rev}`);
    },
    close: () => queue.close(),
  };
}
