import type { Redis } from 'ioredis';
import type { AlertDecision, AlertRecord } from '../domain/alerts.js';
import type { Instant } from '../domain/promotion.js';
import type { AuditWriter } from './audit-writer.js';
import { CommitPlan } from './commit-script.js';
import { pauseAfterConflict } from './contention.js';
import type { Keys } from './keys.js';
import { writeOutbox } from './outbox.js';

const MAX_CONFLICTS = 200;

/** Alert firings, indexed by promotion and by app and environment, changed only through atomic commits with their audit entries. */
export class AlertStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly now: () => Instant,
    private readonly audit: AuditWriter,
  ) {}

  async get(key: string): Promise<{ record: AlertRecord; rev: number } | null> {
    const [json, rev] = await this.redis.hmget(this.keys.alert(key), 'json', 'rev');
    return json && rev ? { record: JSON.parse(json) as AlertRecord, rev: Number(rev) } : null;
  }

  /** Firings that started since `since` for an app and environment (the soak gate's `without_alerts`). */
  async countSince(app: string, environment: string, since: Instant): Promise<number> {
    return this.redis.zcount(this.keys.alerts(app, environment), since, '+inf');
  }

  async ofPromotion(promotionId: string): Promise<string[]> {
    return this.redis.zrange(this.keys.alertsOfPromotion(promotionId), 0, -1);
  }

  /**
   * Reads the firing (if any), decides, and commits only if no one changed it meanwhile:
   * two deliveries of one alert record it once. Its follow-up work goes into the outbox
   * in the same commit.
   */
  async transition(key: string, decide: (existing: AlertRecord | null) => AlertDecision): Promise<AlertDecision> {
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const stored = await this.get(key);
      const decision = decide(stored?.record ?? null);
      if (decision.kind === 'unchanged') return decision;
      const next = decision.next;
      const plan = new CommitPlan().expectField(this.keys.alert(key), 'rev', stored ? String(stored.rev) : null);
      const rev = (stored?.rev ?? 0) + 1;
      plan.op('HSET', this.keys.alert(key), 'json', JSON.stringify(next), 'rev', rev);
      writeOutbox(plan, this.keys.outbox, decision.effects.map((effect, index) => ({ kind: 'alert', alertKey: key, rev, index, effect })));
      if (!stored) {
        if (next.match.promotionId) plan.op('ZADD', this.keys.alertsOfPromotion(next.match.promotionId), next.receivedAt, key);
        if (next.app && next.environment) plan.op('ZADD', this.keys.alerts(next.app, next.environment), next.startsAt || next.receivedAt, key);
      }
      if (decision.audit.length > 0) {
        // An alert for an app or environment Shipgate does not know goes to the unscoped chain.
        const chain = this.audit.chainOf(next.app, next.environment);
        this.audit.append(
          plan,
          chain,
          await this.audit.head(this.redis, chain),
          [{ facts: decision.audit, subject: { promotion: next.match.promotionId, app: next.app, environment: next.environment, version: next.match.currentVersion, config: null, detail: { source: next.source } } }],
          new Date(this.now()).toISOString(),
        );
      }
      if (await plan.run(this.redis)) return decision;
      await pauseAfterConflict(attempt);
    }
    throw new Error(`Could not record alert ${key}: too many concurrent changes.`);
  }

  async setMessageTs(key: string, ts: string): Promise<void> {
    await this.transition(key, (r) => (r && !r.message.ts ? { kind: 'accept', next: { ...r, message: { ...r.message, ts } }, audit: [], effects: [] } : { kind: 'unchanged', reason: 'posted' }));
  }
}
