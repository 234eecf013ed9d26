import type { Redis } from 'ioredis';
import type { Delegation, DelegationDecision } from '../domain/delegation.js';
import type { Instant } from '../domain/promotion.js';
import type { AuditWriter } from './audit-writer.js';
import { CommitPlan } from './commit-script.js';
import { pauseAfterConflict } from './contention.js';
import type { Keys } from './keys.js';

const MAX_CONFLICTS = 50;

/**
 * Delegations, as one list with a revision: a change is decided on the list as read and
 * committed with its audit fact (on the unscoped chain: a delegation is about people,
 * not one app) only if nobody changed the list meanwhile.
 */
export class DelegationStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly now: () => Instant,
    private readonly audit: AuditWriter,
  ) {}

  async all(): Promise<Delegation[]> {
    return parse((await this.redis.hget(this.keys.delegations, 'json')) ?? null);
  }

  async change(decide: (existing: readonly Delegation[]) => DelegationDecision): Promise<DelegationDecision> {
    const key = this.keys.delegations;
    const chain = this.audit.chainOf(null, null);
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const [[, fields], [, head]] = (await this.redis.pipeline().hmget(key, 'json', 'rev').get(this.audit.headKey(chain)).exec()) as [[null, (string | null)[]], [null, string | null]];
      const decision = decide(parse(fields[0] ?? null));
      if (decision.kind === 'refuse') return decision;
      const plan = new CommitPlan().expectField(key, 'rev', fields[1] ?? null);
      plan.op('HSET', key, 'json', JSON.stringify(decision.delegations), 'rev', Number(fields[1] ?? 0) + 1);
      const subject = { promotion: null, app: null, environment: null, version: null, config: null, detail: { kind: 'delegation' } };
      this.audit.append(plan, chain, head ?? '', [{ facts: [decision.audit], subject }], new Date(this.now()).toISOString());
      if (await plan.run(this.redis)) return decision;
      await pauseAfterConflict(attempt);
    }
    throw new Error('Could not change the delegations: too many concurrent changes.');
  }
}

function parse(json: string | null): Delegation[] {
  return json ? (JSON.parse(json) as Delegation[]) : [];
}
