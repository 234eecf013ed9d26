import type { Redis } from 'ioredis';
import type { Instant } from '../domain/promotion.js';
import type { Keys } from './keys.js';

/** Alerts seen per app and environment, by the time they started firing (written by the alert webhooks). */
export class AlertHistory {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async record(app: string, environment: string, alertId: string, startedAt: Instant): Promise<void> {
    await this.redis.zadd(this.keys.alerts(app, environment), startedAt, alertId);
  }

  async countSince(app: string, environment: string, since: Instant): Promise<number> {
    return this.redis.zcount(this.keys.alerts(app, environment), since, '+inf');
  }
}
