import type { Redis } from 'ioredis';
import type { ReviewState } from './review-client.js';
import type { ReviewTarget } from './protection-request.js';

/** GitHub lets a job wait at most 30 days for a protection rule; records live a little longer. */
const KEEP_SECONDS = 31 * 24 * 3600;
/** A delivery being handled holds its claim this long; a receiver that dies frees it for a redelivery. */
const CLAIM_SECONDS = 60;

export type DeliveryClaim = { claimed: true } | { claimed: false; promotionId: string | null };

/**
 * What Shipgate knows of GitHub's waiting jobs, in Redis under the queue prefix: each
 * delivery handled (X-GitHub-Delivery, so a duplicate opens nothing), the review target of
 * each promotion GitHub asked for, and the answer given (so it is given once).
 */
export class ReviewStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(...parts: string[]): string {
    return [this.prefix, 'github', ...parts].join(':');
  }

  /** The first receiver of a delivery claims it; later ones learn the promotion it opened, if any yet. */
  async claimDelivery(delivery: string): Promise<DeliveryClaim> {
    const set = await this.redis.set(this.key('delivery', delivery), '-', 'EX', CLAIM_SECONDS, 'NX');
    if (set === 'OK') return { claimed: true };
    const value = await this.redis.get(this.key('delivery', delivery));
    return { claimed: false, promotionId: value && value !== '-' ? value : null };
  }

  /** The delivery is handled for good: by the promotion it opened, or (null) answered without one. */
  async settleDelivery(delivery: string, promotionId: string | null): Promise<void> {
    await this.redis.set(this.key('delivery', delivery), promotionId ?? '', 'EX', KEEP_SECONDS);
  }

  /** Frees a delivery whose handling failed, so GitHub's redelivery is handled afresh. */
  async releaseDelivery(delivery: string): Promise<void> {
    await this.redis.del(this.key('delivery', delivery));
  }

  async saveTarget(promotionId: string, target: ReviewTarget): Promise<void> {
    await this.redis.set(this.key('review', promotionId), JSON.stringify(target), 'EX', KEEP_SECONDS);
  }

  async target(promotionId: string): Promise<ReviewTarget | null> {
    const raw = await this.redis.get(this.key('review', promotionId));
    return raw ? (JSON.parse(raw) as ReviewTarget) : null;
  }

  async hasTarget(promotionId: string): Promise<boolean> {
    return (await this.redis.exists(this.key('review', promotionId))) === 1;
  }

  async answer(promotionId: string): Promise<ReviewState | null> {
    return (await this.redis.get(this.key('answered', promotionId))) as ReviewState | null;
  }

  async recordAnswer(promotionId: string, state: ReviewState): Promise<void> {
    await this.redis.set(this.key('answered', promotionId), state, 'EX', KEEP_SECONDS);
  }
}
