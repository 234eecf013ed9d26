import type { Redis } from 'ioredis';
import type { AuditFact, Decision, Effect } from '../domain/decision.js';
import { isActive, type Instant, type Promotion } from '../domain/promotion.js';
import type { AppSnapshot, DeployedVersion } from '../domain/request.js';
import { chainEntries } from './audit-chain.js';
import { CommitPlan } from './commit-script.js';
import { pauseAfterConflict } from './contention.js';
import type { Keys } from './keys.js';
import { noteEntry } from './note-log.js';

export interface StoredPromotion {
  promotion: Promotion;
  rev: number;
}

export type Outcome =
  | {
      kind: 'accept';
      promotion: Promotion;
      rev: number;
      effects: Effect[];
      reply: string | null;
      /** 1-based position in the promotion's notes list of this commit's first note effect (0: none). */
      firstNote: number;
    }
  | { kind: 'refuse' | 'unchanged'; reason: string }
  | { kind: 'missing'; reason: string };

const HISTORY_KEPT = 200;
/** Optimistic commits retry on conflict; this many conflicts in a row means something is wrong. */
const MAX_CONFLICTS = 200;

export class ConflictError extends Error {}

/** Promotion records, environment ledgers and the audit log, changed only through atomic commits. */
export class PromotionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly now: () => Instant,
  ) {}

  async nextId(): Promise<string> {
    return `sg-${await this.redis.incr(this.keys.sequence)}`;
  }

  async get(id: string): Promise<StoredPromotion | null> {
    const raw = await this.redis.hmget(this.keys.promotion(id), 'json', 'rev');
    if (!raw[0] || !raw[1]) return null;
    return { promotion: JSON.parse(raw[0]) as Promotion, rev: Number(raw[1]) };
  }

  async current(app: string, environment: string): Promise<DeployedVersion | null> {
    const h = await this.redis.hgetall(this.keys.ledger(app, environment));
    return h.version ? { version: h.version, promotionId: h.promotion ?? '', at: Number(h.at) } : null;
  }

  async history(app: string, environment: string, limit = HISTORY_KEPT): Promise<DeployedVersion[]> {
    const raw = await this.redis.lrange(this.keys.history(app, environment), 0, limit - 1);
    return raw.map((r) => JSON.parse(r) as DeployedVersion);
  }

  /** Promotions asked for most recently first. */
  async recent(limit: number): Promise<Promotion[]> {
    return this.loadAll(await this.redis.zrevrange(this.keys.all, 0, limit - 1));
  }

  async active(): Promise<Promotion[]> {
    return this.loadAll(await this.redis.zrange(this.keys.active, 0, -1));
  }

  private async loadAll(ids: string[]): Promise<Promotion[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.keys.promotion(id), 'json');
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([, json]) => (typeof json === 'string' ? [JSON.parse(json) as Promotion] : []));
  }

  /**
   * Decides on a new promotion for APP in ENV against a fresh snapshot and commits it
   * only if nothing the decision read has changed since.
   */
  async create(app: string, environment: string, environments: readonly string[], decide: (snapshot: AppSnapshot) => Decision): Promise<Outcome> {
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const lockKey = this.keys.inFlight(app, environment);
      const { head, lockedBy, current, history } = await this.snapshotReads(app, environment, environments);
      const holder = lockedBy ? await this.get(lockedBy) : null;
      const inFlight = holder && isActive(holder.promotion.state) ? holder.promotion : null;
      const decision = decide({ current, history, inFlight });
      const plan = new CommitPlan().expectField(lockKey, 'id', lockedBy);
      for (const env of environments) plan.expectField(this.keys.ledger(app, env), 'version', current.get(env)?.version ?? null);
      const outcome = await this.commit(plan, decision, null, head);
      if (outcome) return outcome;
      await pauseAfterConflict(attempt);
    }
    throw new ConflictError(`Could not record a promotion for ${app} in ${environment}: too many concurrent changes.`);
  }

  /** Everything a new promotion's decision reads, in one round trip. */
  private async snapshotReads(app: string, environment: string, environments: readonly string[]) {
    const pipeline = this.redis.pipeline().get(this.keys.auditHead).hget(this.keys.inFlight(app, environment), 'id').lrange(this.keys.history(app, environment), 0, HISTORY_KEPT - 1);
    for (const env of environments) pipeline.hgetall(this.keys.ledger(app, env));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    const [head, lockedBy, history, ...ledgers] = results.map(([, value]) => value);
    const current = new Map<string, DeployedVersion>();
    environments.forEach((env, i) => {
      const h = ledgers[i] as Record<string, string>;
      if (h.version) current.set(env, { version: h.version, promotionId: h.promotion ?? '', at: Number(h.at) });
    });
    return {
      head: (head as string | null) ?? '',
      lockedBy: lockedBy as string | null,
      current,
      history: (history as string[]).map((r) => JSON.parse(r) as DeployedVersion),
    };
  }

  /** Reads the promotion, runs the pure decision, and commits it only if the record is unchanged (compare-and-set). */
  async transition(id: string, decide: (current: Promotion) => Decision): Promise<Outcome> {
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const head = await this.auditHead();
      const stored = await this.get(id);
      if (!stored) return { kind: 'missing', reason: `There is no promotion ${id}.` };
      const outcome = await this.commit(new CommitPlan(), decide(stored.promotion), stored, head);
      if (outcome) return outcome;
      await pauseAfterConflict(attempt);
    }
    throw new ConflictError(`Could not update promotion ${id}: too many concurrent changes.`);
  }

  /** Records where the promotion message was posted; not an audited step. */
  async setMessageTs(id: string, ts: string): Promise<void> {
    await this.transition(id, (p) => (p.message.ts ? { kind: 'unchanged', reason: 'already posted' } : { kind: 'accept', next: { ...p, message: { ...p.message, ts } }, audit: [], effects: [] }));
  }

  private async auditHead(): Promise<string> {
    return (await this.redis.get(this.keys.auditHead)) ?? '';
  }

  /** Builds and runs the commit for a decision; null when a concurrent change got there first. */
  private async commit(plan: CommitPlan, decision: Decision, before: StoredPromotion | null, head: string): Promise<Outcome | null> {
    if (decision.kind === 'unchanged') return { kind: 'unchanged', reason: decision.reason };
    const subject = decision.kind === 'accept' ? decision.next : before?.promotion ?? null;
    const facts = decision.kind === 'accept' ? decision.audit : decision.audit ? [decision.audit] : [];
    if (decision.kind === 'refuse' && facts.length === 0) return { kind: 'refuse', reason: decision.reason };

    if (before) plan.expectField(this.keys.promotion(before.promotion.id), 'rev', String(before.rev));
    if (facts.length > 0) this.chainAudit(plan, head, facts, subject);

    if (decision.kind === 'refuse') {
      return (await plan.run(this.redis)) ? { kind: 'refuse', reason: decision.reason } : null;
    }
    const next = decision.next;
    const rev = (before?.rev ?? 0) + 1;
    const key = this.keys.promotion(next.id);
    if (!before) plan.expectField(key, 'rev', null).op('ZADD', this.keys.all, next.requestedAt, next.id);
    plan.op('HSET', key, 'json', JSON.stringify(next), 'rev', rev);

    const wasActive = before !== null && isActive(before.promotion.state);
    if (isActive(next.state) && !wasActive) {
      plan.op('HSET', this.keys.inFlight(next.app, next.environment), 'id', next.id).op('ZADD', this.keys.active, next.requestedAt, next.id);
    } else if (!isActive(next.state) && wasActive) {
      plan.op('DEL', this.keys.inFlight(next.app, next.environment)).op('ZREM', this.keys.active, next.id);
    }
    if (decision.ledger) {
      const { app, environment, version, promotionId, at } = decision.ledger;
      const entry: DeployedVersion = { version, promotionId, at };
      plan
        .op('HSET', this.keys.ledger(app, environment), 'version', version, 'promotion', promotionId, 'at', at)
        .op('LPUSH', this.keys.history(app, environment), JSON.stringify(entry))
        .op('LTRIM', this.keys.history(app, environment), 0, HISTORY_KEPT - 1);
    }
    const firstNote = await this.appendNotes(plan, next.id, decision.effects);
    if (!(await plan.run(this.redis))) return null;
    return { kind: 'accept', promotion: next, rev, effects: decision.effects, reply: decision.reply ?? null, firstNote };
  }

  /**
   * Thread notes join the promotion's notes list in the same commit, so the thread shows
   * them in the order of the facts. The length is read after the record: a commit in
   * between (or an alert's note, see NoteLog) changes the rev and fails this one, so the
   * positions hold when it applies.
   */
  private async appendNotes(plan: CommitPlan, id: string, effects: Effect[]): Promise<number> {
    const notes = effects.flatMap((e) => (e.type === 'note' ? [e] : []));
    if (notes.length === 0) return 0;
    const first = (await this.redis.llen(this.keys.notes(id))) + 1;
    for (const note of notes) plan.op('RPUSH', this.keys.notes(id), noteEntry(note.text, note.rollbackTo));
    return first;
  }

  private chainAudit(plan: CommitPlan, head: string, facts: AuditFact[], subject: Promotion | null): void {
    const { entries, nextHead } = chainEntries(
      head,
      facts,
      {
        promotion: subject?.id ?? null,
        app: subject?.app ?? null,
        environment: subject?.environment ?? null,
        version: subject?.version ?? null,
        config: subject?.configHash ?? null,
        detail: { kind: subject?.kind ?? null },
      },
      new Date(this.now()).toISOString(),
    );
    plan.appendAudit(this.keys.auditLog, this.keys.auditHead, head, entries, nextHead);
  }
}
