import type { Redis } from 'ioredis';
import type { Lock, LockDecision } from '../domain/lock.js';
import type { Instant, Promotion } from '../domain/promotion.js';
import type { AuditWriter } from './audit-writer.js';
import { CommitPlan } from './commit-script.js';
import { pauseAfterConflict } from './contention.js';
import type { Keys } from './keys.js';
import { writeOutbox } from './outbox.js';
import { activePromotions, LOCK_FIELDS, locksOf, type StoredLocks } from './promotion-store.js';
import type { AdHocFreeze, FreezeDecision } from '../domain/ad-hoc-freeze.js';
import type { AuditFact } from '../domain/decision.js';

type Refusal = { kind: 'refuse'; reason: string; audit?: AuditFact };
/** An accepted change: which field of the hash takes which value, and what to check again. */
type Change = { kind: 'accept'; audit: AuditFact; field: 'json' | 'freezes'; value: unknown; recheck: ((active: Promotion[]) => Promotion[]) | null | false };

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
    return locksOf(await this.redis.hmget(this.keys.locks(environment), ...LOCK_FIELDS)).locks;
  }

  /** Every lock of these environments, in one round trip. */
  async all(environments: readonly string[]): Promise<Lock[]> {
    return (await this.everything(environments)).flatMap((s) => s.locks);
  }

  /** Every ad-hoc freeze of these environments as stored (expired ones too), in one round trip. */
  async allFreezes(environments: readonly string[]): Promise<AdHocFreeze[]> {
    return (await this.everything(environments)).flatMap((s) => s.freezes);
  }

  private async everything(environments: readonly string[]): Promise<StoredLocks[]> {
    const pipeline = this.redis.pipeline();
    for (const env of environments) pipeline.hmget(this.keys.locks(env), ...LOCK_FIELDS);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([, fields]) => locksOf(fields as (string | null)[]));
  }

  /**
   * `/promote freeze` and `unfreeze`: the environment's ad-hoc freezes change under the
   * same revision as its locks, so a promotion deciding meanwhile conflicts and decides
   * again; an unfreeze checks again, now, each promotion the freeze may have held.
   */
  async changeFreezes(environment: string, decide: (freezes: readonly AdHocFreeze[]) => FreezeDecision, heldBack: (lifted: AdHocFreeze, active: Promotion[]) => Promotion[]): Promise<FreezeDecision> {
    return this.commitChange(environment, null, 'freeze', (stored) => {
      const decision = decide(stored.freezes);
      return decision.kind === 'refuse' ? decision : { ...decision, field: 'freezes', value: decision.freezes, recheck: decision.lifted && ((active: Promotion[]) => heldBack(decision.lifted!, active)) };
    });
  }

  /**
   * Reads the environment's locks (and what is pending, for an unlock), decides, and
   * commits only if the locks are unchanged and every held-back promotion is as read.
   */
  async change(environment: string, app: string | null, decide: (locks: readonly Lock[]) => LockDecision, heldBack: (lifted: Lock, active: Promotion[]) => Promotion[]): Promise<LockDecision> {
    return this.commitChange(environment, app, 'lock', (stored) => {
      const decision = decide(stored.locks);
      return decision.kind === 'refuse' ? decision : { ...decision, field: 'json', value: decision.locks, recheck: decision.lifted && ((active: Promotion[]) => heldBack(decision.lifted!, active)) };
    });
  }

  /** Reads the hash, decides, and commits the changed field with the next revision, its audit fact and the re-checks, or retries on conflict. */
  private async commitChange<D extends Refusal | Change>(environment: string, app: string | null, kind: 'lock' | 'freeze', decide: (stored: StoredLocks) => D): Promise<D> {
    const key = this.keys.locks(environment);
    const chain = this.audit.chainOf(app, environment);
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const [fields, head] = unwrap(await this.redis.pipeline().hmget(key, ...LOCK_FIELDS).get(this.audit.headKey(chain)).exec()) as [(string | null)[], string | null];
      const stored = locksOf(fields);
      const decision = decide(stored);
      if (decision.kind === 'refuse' && !decision.audit) return decision;
      const plan = new CommitPlan().expectField(key, 'rev', stored.rev);
      const subject = { promotion: null, app, environment, version: null, config: null, detail: { kind } };
      const at = new Date(this.now()).toISOString();
      if (decision.kind === 'refuse') {
        this.audit.append(plan, chain, head ?? '', [{ facts: [decision.audit!], subject }], at);
      } else {
        const change = decision as Change;
        const rev = Number(stored.rev ?? 0) + 1;
        plan.op('HSET', key, change.field, JSON.stringify(change.value), 'rev', rev);
        this.audit.append(plan, chain, head ?? '', [{ facts: [change.audit], subject }], at);
        if (change.recheck) await this.checkHeldBack(plan, environment, rev, change.recheck);
      }
      if (await plan.run(this.redis)) return decision;
      await pauseAfterConflict(attempt);
    }
    throw new Error(`Could not change the locks and freezes of ${environment}: too many concurrent changes.`);
  }

  /** A check, now, of each promotion the lifted lock or freeze held back; the check decides again with what is then in force. */
  private async checkHeldBack(plan: CommitPlan, environment: string, rev: number, heldBack: (active: Promotion[]) => Promotion[]): Promise<void> {
    const waiting = heldBack(await activePromotions(this.redis, this.keys));
    writeOutbox(plan, this.keys.outbox, waiting.map((p, index) => ({ kind: 'lock', environment, rev, index, promotionId: p.id })));
  }
}

function unwrap(results: [Error | null, unknown][] | null): unknown[] {
  const failed = (results ?? []).find(([error]) => error);
  if (failed) throw failed[0];
  return (results ?? []).map(([, value]) => value);
}
