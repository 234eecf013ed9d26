import type { Redis } from 'ioredis';
import type { AuditFact } from '../domain/decision.js';
import type { Instant } from '../domain/promotion.js';
import type { AuditWriter } from './audit-writer.js';
import { CommitPlan } from './commit-script.js';
import type { Keys } from './keys.js';

/** Kept a day past the freeze's end, so a late tick never notices it again. */
const KEPT_AFTER_END_MS = 86_400_000;
const POSTING_LOCK_MS = 60_000;

/**
 * One notice per freeze occurrence and environment, however many workers tick: the first
 * claims it with its audit entry in one commit; posting follows under a short lock, and
 * is marked done, so a failed post is tried again on the next tick and never twice.
 */
export class NoticeStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly now: () => Instant,
    private readonly audit: AuditWriter,
  ) {}

  /** True when this notice still has to be posted (just claimed, or claimed earlier and not posted) and this caller may post it now. */
  async claim(environment: string, start: Instant, end: Instant, rule: string, fact: AuditFact): Promise<boolean> {
    const key = this.keys.freezeNotice(environment, start, rule);
    const chain = this.audit.chainOf(null, environment);
    const head = (await this.redis.get(this.audit.headKey(chain))) ?? '';
    const plan = new CommitPlan().expectField(key, 'claimed', null);
    plan.op('HSET', key, 'claimed', String(this.now()));
    const subject = { promotion: null, app: null, environment, version: null, config: null, detail: { kind: 'freeze_notice' } };
    this.audit.append(plan, chain, head, [{ facts: [fact], subject }], new Date(this.now()).toISOString());
    if (await plan.run(this.redis)) {
      await this.redis.pexpireat(key, end + KEPT_AFTER_END_MS);
    } else {
      // Claimed already (or the audit head moved: the next tick tries again): post only if nobody has.
      if ((await this.redis.hget(key, 'claimed')) === null) return false;
      if ((await this.redis.hget(key, 'posted')) !== null) return false;
    }
    return (await this.redis.set(`${key}:posting`, '1', 'PX', POSTING_LOCK_MS, 'NX')) === 'OK';
  }

  async posted(environment: string, start: Instant, rule: string, ts: string): Promise<void> {
    const key = this.keys.freezeNotice(environment, start, rule);
    // The posting lock stays until it lapses: whoever read "not posted" just before this cannot take it.
    await this.redis.hset(key, 'posted', ts);
  }

  async failed(environment: string, start: Instant, rule: string): Promise<void> {
    await this.redis.del(`${this.keys.freezeNotice(environment, start, rule)}:posting`);
  }
}
