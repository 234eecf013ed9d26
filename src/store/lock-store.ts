import type { Redis } from 'ioredis';
import type { Lock, LockDecision } from '../domain/lock.js';
import type { Instant, Promotion } from '../domain/promotion.js';
import type { AuditWriter } from './audit-writer.js';
import { CommitPlan } from './commit-script.js';
import { pauseAfterConflict } from './contention.js';
import type { Keys } from './keys.js';
import { writeOutbox } from './outbox.js';
import { locksOf } from './promotion-store.js';

const MAX_CONFLICTS = 50;

/**
 * The locks of each environment, changed only through atomic commits: the list, its
 * revision (which promotion commits expect unchanged), the audit fact, and for an unlock
 * a follow-up check of each promotion the lock held back, all at once.
 */
export class LockStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly now: () => Instant,
    private readonly audit: AuditWriter,
  ) {}

  async locksOf(environment: string): Promise<Lock[]> {
    return locksOf(await this.redis.hmget(this.keys.locks(environment), 'json', 'rev')).locks;
  }

  /** Every lock of these environments, in one round trip. */
  async all(environments: readonly string[]): Promise<Lock[]> {
    const pipeline = this.redis.pipeline();
    for (const env of environments) pipeline.hmget(this.keys.locks(env), 'json', 'rev');
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([, fields]) => locksOf(fields as (string | null)[]).locks);
  }

  /**
   * Reads the environment's locks (and what is pending, for an unlock), decides, and
   * commits only if the locks are unchanged and every held-back promotion is as read.
   */
  async change(environment: string, app: string | null, decide: (locks: readonly Lock[]) => LockDecision, heldBack: (lifted: Lock, active: Promotion[]) => Promotion[]): Promise<LockDecision> {
    const key = this.keys.locks(environment);
    const chain = this.audit.chainOf(app, environment);
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const [fields, head] = unwrap(await this.redis.pipeline().hmget(key, 'json', 'rev').get(this.audit.headKey(chain)).exec()) as [(string | null)[], string | null];
      const stored = locksOf(fields);
      const decision = decide(stored.locks);
      if (decision.kind === 'refuse' && !decision.audit) return decision;
      const plan = new CommitPlan().expectField(key, 'rev', stored.rev);
      const subject = { promotion: null, app, environment, version: null, config: null, detail: { kind: 'lock' } };
      const at = new Date(this.now()).toISOString();
      if (decision.kind === 'refuse') {
        this.audit.append(plan, chain, head ?? '', [{ facts: [decision.audit!], subject }], at);
      } else {
        const rev = Number(stored.rev ?? 0) + 1;
        plan.op('HSET', key, 'json', JSON.stringify(decision.locks), 'rev', rev);
        this.audit.append(plan, chain, head ?? '', [{ facts: [decision.audit], subject }], at);
        if (decision.lifted) await this.checkHeldBack(plan, decision.lifted, rev, heldBack);
      }
      if (await plan.run(this.redis)) return decision;
      await pauseAfterConflict(attempt);
    }
    throw new Error(`Could not change the locks of ${environment}: too many concurrent changes.`);
  }

  /** A check, now, of each promotion the lifted lock held back; the check decides again with the locks then in force. */
  private async checkHeldBack(plan: CommitPlan, lifted: Lock, rev: number, heldBack: (lifted: Lock, active: Promotion[]) => Promotion[]): Promise<void> {
    const ids = await this.redis.zrange(this.keys.active, 0, -1);
    const waiting = heldBack(lifted, await this.loadAll(ids));
    writeOutbox(plan, this.keys.outbox, waiting.map((p, index) => ({ kind: 'lock', environment: lifted.environment, rev, index, promotionId: p.id })));
  }

  private async loadAll(ids: string[]): Promise<Promotion[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.keys.promotion(id), 'json');
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([, json]) => (typeof json === 'string' ? [JSON.parse(json) as Promotion] : []));
  }
}

function unwrap(results: [Error | null, unknown][] | null): unknown[] {
  const failed = (results ?? []).find(([error]) => error);
  if (failed) throw failed[0];
  return (results ?? []).map(([, value]) => value);
}
