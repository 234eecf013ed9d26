import type { Redis } from 'ioredis';
import { FINAL_REFRESH_STATES, type Refresh, type RefreshDecision, type TargetFlag } from '../domain/refresh.js';
import type { Instant } from '../domain/promotion.js';
import type { AuditWriter } from './audit-writer.js';
import { CommitPlan } from './commit-script.js';
import { pauseAfterConflict } from './contention.js';
import { dataMovementChain, dataMovementSubject } from './data-movement-chain.js';
import type { Keys } from './keys.js';
import { writeOutbox } from './outbox.js';

const MAX_CONFLICTS = 50;

/** What a refused request is about, for its audit entry. */
export interface RefreshAskSubject {
  dataset: string;
  from: string;
  to: string;
  requester: string;
  masking: string;
  config: string;
}

/**
 * Data refresh records, changed only through atomic commits: the record, its entry on
 * the dataset's data-movement chain, its outbox entries, the dataset's in-flight slot for
 * the target and the target's flag, all at once, and only if the record is as read.
 * Nothing here touches a ledger: a refresh never changes what runs.
 */
export class RefreshStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly now: () => Instant,
    private readonly audit: AuditWriter,
  ) {}

  async get(id: string): Promise<Refresh | null> {
    const json = await this.redis.hget(this.keys.refresh(id), 'json');
    return json ? (JSON.parse(json) as Refresh) : null;
  }

  /** Refreshes not yet final, oldest first. */
  async active(): Promise<Refresh[]> {
    const ids = await this.redis.zrange(this.keys.refreshesActive, 0, -1);
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((r): r is Refresh => r !== null);
  }

  /** Every target flagged as holding data not known to be masked. */
  async flags(): Promise<TargetFlag[]> {
    const all = await this.redis.hgetall(this.keys.refreshFlags);
    return Object.values(all)
      .map((json) => JSON.parse(json) as TargetFlag)
      .sort((a, b) => a.environment.localeCompare(b.environment) || a.dataset.localeCompare(b.dataset));
  }

  /** Decides a new refresh with the id it would get and the refresh already in flight for its dataset and target. */
  async create(ask: RefreshAskSubject, decide: (inFlight: string | null, id: string) => RefreshDecision): Promise<RefreshDecision> {
    const { keys } = this;
    const slot = keys.refreshSlot(ask.dataset, ask.to);
    const chain = dataMovementChain(ask.dataset);
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const [counter, inFlight, head] = unwrap(await this.redis.pipeline().hget(keys.refreshCounter, 'n').hget(slot, 'id').get(this.audit.headKey(chain)).exec()) as [string | null, string | null, string | null];
      const id = `rf-${Number(counter ?? 0) + 1}`;
      const decision = decide(inFlight, id);
      if (decision.kind === 'unchanged' || (decision.kind === 'refuse' && !decision.audit)) return decision;
      const plan = new CommitPlan().expectField(keys.refreshCounter, 'n', counter).expectField(slot, 'id', inFlight);
      const at = new Date(this.now()).toISOString();
      if (decision.kind === 'refuse') {
        this.audit.append(plan, chain, head ?? '', [{ facts: [decision.audit!], subject: dataMovementSubject({ ...ask, id: '' }) }], at);
      } else {
        const r = decision.next;
        plan.op('HSET', keys.refreshCounter, 'n', Number(counter ?? 0) + 1);
        plan.op('HSET', slot, 'id', r.id);
        plan.op('ZADD', keys.refreshes, r.requestedAt, r.id);
        plan.op('ZADD', keys.refreshesActive, r.requestedAt, r.id);
        this.write(plan, r, 1, decision, head ?? '');
      }
      if (await plan.run(this.redis)) return decision;
      await pauseAfterConflict(attempt);
    }
    throw new Error(`Could not record the refresh of ${ask.dataset}: too many concurrent changes.`);
  }

  /** Reads the refresh, decides (the decision may call out, after the read), and commits only if it is unchanged meanwhile. */
  async transition(id: string, decide: (current: Refresh) => RefreshDecision | Promise<RefreshDecision>): Promise<RefreshDecision> {
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const [json, rev] = await this.redis.hmget(this.keys.refresh(id), 'json', 'rev');
      if (!json) return { kind: 'unchanged', reason: `There is no refresh ${id}.` };
      const current = JSON.parse(json) as Refresh;
      const chain = dataMovementChain(current.dataset);
      const head = await this.audit.head(this.redis, chain);
      const decision = await decide(current);
      if (decision.kind === 'unchanged' || (decision.kind === 'refuse' && !decision.audit)) return decision;
      const plan = new CommitPlan().expectField(this.keys.refresh(id), 'rev', rev ?? null);
      if (decision.kind === 'refuse') {
        this.audit.append(plan, chain, head, [{ facts: [decision.audit!], subject: dataMovementSubject(current) }], new Date(this.now()).toISOString());
      } else {
        this.write(plan, decision.next, Number(rev ?? 0) + 1, decision, head);
      }
      if (await plan.run(this.redis)) return decision;
      await pauseAfterConflict(attempt);
    }
    throw new Error(`Could not record a change to refresh ${id}: too many concurrent changes.`);
  }

  /** Stores where the refresh's message was posted; not an audited step. */
  async setMessageTs(id: string, ts: string): Promise<void> {
    await this.transition(id, (r) => (r.message.ts === null ? { kind: 'accept', next: { ...r, message: { ...r.message, ts } }, audit: [], effects: [] } : { kind: 'unchanged', reason: 'already posted' }));
  }

  private write(plan: CommitPlan, r: Refresh, rev: number, decision: Extract<RefreshDecision, { kind: 'accept' }>, head: string): void {
    const { keys } = this;
    plan.op('HSET', keys.refresh(r.id), 'json', JSON.stringify(r), 'rev', rev);
    if (FINAL_REFRESH_STATES.includes(r.state)) plan.op('HDEL', keys.refreshSlot(r.dataset, r.to), 'id').op('ZREM', keys.refreshesActive, r.id);
    const flagField = `${r.to}/${r.dataset}`;
    if (decision.flag && 'set' in decision.flag) plan.op('HSET', keys.refreshFlags, flagField, JSON.stringify(decision.flag.set));
    if (decision.flag && 'clear' in decision.flag) plan.op('HDEL', keys.refreshFlags, flagField);
    writeOutbox(plan, keys.outbox, decision.effects.map((effect, index) => ({ kind: 'refresh', refreshId: r.id, rev, index, effect })));
    if (decision.audit.length > 0) this.audit.append(plan, dataMovementChain(r.dataset), head, [{ facts: decision.audit, subject: dataMovementSubject(r) }], new Date(this.now()).toISOString());
  }
}

function unwrap(results: [Error | null, unknown][] | null): unknown[] {
  const failed = (results ?? []).find(([error]) => error);
  if (failed) throw failed[0];
  return (results ?? []).map(([, value]) => value);
}
