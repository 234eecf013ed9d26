import type { Redis } from 'ioredis';
import type { AuditFact, Decision, Effect } from '../domain/decision.js';
import type { OpenDrift } from '../domain/drift.js';
import { isActive, isPending, type Instant, type Promotion } from '../domain/promotion.js';
import type { AppSnapshot, DeployedVersion } from '../domain/request.js';
import { inForce, type AdHocFreeze } from '../domain/ad-hoc-freeze.js';
import type { Lock } from '../domain/lock.js';
import type { AuditWriter } from './audit-writer.js';
import { CommitPlan } from './commit-script.js';
import { CommitTally, KeyedQueue, pauseAfterConflict } from './contention.js';
import type { Keys } from './keys.js';
import { noteEntry } from './note-log.js';
import { writeOutbox } from './outbox.js';
import { HISTORY_KEPT, writeLedger } from './ledger-write.js';
import type { DrillRecord } from '../domain/drill.js';

/** Drills remembered per app and environment. */
export const DRILLS_KEPT = 100;

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
    }
  | { kind: 'refuse' | 'unchanged'; reason: string }
  | { kind: 'missing'; reason: string };

/** A hash field a commit relies on: it must still hold `value` (null: be absent) when the commit runs. */
export interface Expectation {
  key: string;
  field: string;
  value: string | null;
}

const SCOPES_KEPT = 10_000;
/** Optimistic commits retry on conflict; this many conflicts in a row means something is wrong. */
const MAX_CONFLICTS = 200;
/** Decided before an id is taken, so that a refused request consumes none. */
const PROVISIONAL_ID = 'sg-0';

export class ConflictError extends Error {}

/** Which kind of commit met a concurrent change and had to decide again. */
export type ConflictKind = 'create' | 'transition';

export interface PromotionStoreOptions {
  /** Told of every conflict (a commit that must decide again), for /metrics. */
  onConflict?: (kind: ConflictKind) => void;
}

/** The app and environment a commit is for, and its audit chain's head as read with the record or the snapshot. */
interface AuditScope {
  app: string;
  environment: string;
  head: string;
}

/** A promotion as a transition reads it: the record, its chain head (when known) and its environment's locks. */
export interface DecisionRead {
  stored: StoredPromotion | null;
  scope: AuditScope | null;
  locks: StoredLocks;
}

/** Promotion records, environment ledgers and the audit log, changed only through atomic commits. */
export class PromotionStore {
  /** App and environment of promotions seen lately, to read their chain head with the record. */
  private readonly scopes = new Map<string, { app: string; environment: string }>();
  /** New promotions of one app and environment commit one at a time in this process (see KeyedQueue). */
  private readonly creating = new KeyedQueue();
  /** Commit attempts against commits applied, for the benchmarks and the contention figures. */
  readonly tally = new CommitTally();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly now: () => Instant,
    private readonly audit: AuditWriter,
    private readonly options: PromotionStoreOptions = {},
  ) {}

  private async nextId(): Promise<string> {
    return `sg-${await this.redis.incr(this.keys.sequence)}`;
  }

  async get(id: string): Promise<StoredPromotion | null> {
    const raw = await this.redis.hmget(this.keys.promotion(id), 'json', 'rev');
    if (!raw[0] || !raw[1]) return null;
    const stored = { promotion: JSON.parse(raw[0]) as Promotion, rev: Number(raw[1]) };
    // Its app and environment never change: a later decision reads its chain head and locks with the record.
    this.rememberScope(id, stored.promotion);
    return stored;
  }

  /**
   * What a transition of the promotion decides on (the record, its chain head and its
   * environment's locks), in one round trip once this process has read the promotion.
   * A caller that must read something else first passes it to `transition` as its first read.
   */
  read(id: string): Promise<DecisionRead> {
    return this.readWithHead(id);
  }

  async current(app: string, environment: string): Promise<DeployedVersion | null> {
    const h = await this.redis.hgetall(this.keys.ledger(app, environment));
    return h.version ? { version: h.version, promotionId: h.promotion ?? '', at: Number(h.at) } : null;
  }

  async history(app: string, environment: string, limit = HISTORY_KEPT): Promise<DeployedVersion[]> {
    const raw = await this.redis.lrange(this.keys.history(app, environment), 0, limit - 1);
    return raw.map((r) => JSON.parse(r) as DeployedVersion);
  }

  /** Versions undone by a rollback in the environment, with the rollback that undid each. */
  async bad(app: string, environment: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(this.keys.bad(app, environment))));
  }

  /** Drills of an app in an environment that ended, newest first. */
  async drills(app: string, environment: string, limit = DRILLS_KEPT): Promise<DrillRecord[]> {
    const raw = await this.redis.lrange(this.keys.drills(app, environment), 0, limit - 1);
    return raw.map((r) => JSON.parse(r) as DrillRecord);
  }

  /** Promotions asked for most recently first. */
  async recent(limit: number): Promise<Promotion[]> {
    return this.loadAll(await this.redis.zrevrange(this.keys.all, 0, limit - 1));
  }

  /** Promotions not in a final state: holding their environment's slot, or queued behind it. */
  async active(): Promise<Promotion[]> {
    return activePromotions(this.redis, this.keys);
  }

  private loadAll(ids: string[]): Promise<Promotion[]> {
    return loadPromotions(this.redis, this.keys, ids);
  }

  /**
   * Decides on a new promotion for APP in ENV against a fresh snapshot and commits it
   * only if nothing the decision read has changed since. The id is taken only once the
   * decision accepts, so refusals consume none.
   */
  create(app: string, environment: string, environments: readonly string[], decide: (snapshot: AppSnapshot, id: string) => Decision): Promise<Outcome> {
    return this.creating.run(`${app}\n${environment}`, () => this.createNow(app, environment, environments, decide));
  }

  private async createNow(app: string, environment: string, environments: readonly string[], decide: (snapshot: AppSnapshot, id: string) => Decision): Promise<Outcome> {
    let id: string | null = null;
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const read = await this.snapshot(app, environment, environments);
      let decision = decide(read.snapshot, id ?? PROVISIONAL_ID);
      if (decision.kind === 'accept' && id === null) {
        id = await this.nextId();
        decision = decide(read.snapshot, id);
      }
      const plan = new CommitPlan();
      read.expect.forEach((e) => plan.expectField(e.key, e.field, e.value));
      const outcome = await this.commit(plan, decision, null, { app, environment, head: read.head }, read.revs);
      if (outcome) return outcome;
      this.options.onConflict?.('create');
      await pauseAfterConflict(attempt);
    }
    throw new ConflictError(`Could not record a promotion for ${app} in ${environment}: too many concurrent changes.`);
  }

  /**
   * A promotion that waits on its app and environment's state (a queued rollback) decides
   * again against a fresh snapshot of it, as a new request would.
   */
  async transitionWithSnapshot(id: string, environments: readonly string[], decide: (current: Promotion, snapshot: AppSnapshot) => Decision): Promise<Outcome> {
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const stored = await this.get(id);
      if (!stored) return { kind: 'missing', reason: `There is no promotion ${id}.` };
      const { app, environment } = stored.promotion;
      const read = await this.snapshot(app, environment, environments);
      const plan = new CommitPlan();
      read.expect.forEach((e) => plan.expectField(e.key, e.field, e.value));
      const outcome = await this.commit(plan, decide(stored.promotion, read.snapshot), stored, { app, environment, head: read.head }, read.revs);
      if (outcome) return outcome;
      this.options.onConflict?.('transition');
      await pauseAfterConflict(attempt);
    }
    throw new ConflictError(`Could not update promotion ${id}: too many concurrent changes.`);
  }

  /** Everything a decision about APP in ENV reads, in two round trips, and what must still hold when it commits. */
  private async snapshot(app: string, environment: string, environments: readonly string[]) {
    const pipeline = this.redis
      .pipeline()
      .get(this.audit.headKey(this.audit.chainOf(app, environment)))
      .hget(this.keys.inFlight(app, environment), 'id')
      .lrange(this.keys.history(app, environment), 0, HISTORY_KEPT - 1)
      .hgetall(this.keys.bad(app, environment))
      .hmget(this.keys.locks(environment), ...LOCK_FIELDS)
      .lindex(this.keys.drills(app, environment), 0);
    for (const env of environments) pipeline.hgetall(this.keys.ledger(app, env));
    for (const env of environments) pipeline.hmget(this.keys.drift(app, env), 'running', 'detected');
    const [head, lockedBy, history, bad, lockFields, lastDrill, ...rest] = unwrap(await pipeline.exec());
    const locks = locksOf(lockFields as (string | null)[]);
    const ledgers = rest.slice(0, environments.length);
    const driftFields = rest.slice(environments.length) as (string | null)[][];
    const current = new Map<string, DeployedVersion>();
    const drifts = new Map<string, OpenDrift>();
    environments.forEach((env, i) => {
      const h = ledgers[i] as Record<string, string>;
      if (h.version) current.set(env, { version: h.version, promotionId: h.promotion ?? '', at: Number(h.at) });
      const [running, detected] = driftFields[i] ?? [];
      if (running) drifts.set(env, { running, detectedAt: Number(detected) });
    });
    const holder = lockedBy ? await this.get(lockedBy as string) : null;
    // The slot names the rollback queued behind a deployment that ended, until that rollback starts.
    const queuedId = holder?.promotion.state === 'queued' ? null : holder?.promotion.queuedRollback;
    const queued = holder?.promotion.state === 'queued' ? holder : queuedId ? await this.get(queuedId) : null;
    const revs = new Map<string, StoredPromotion>();
    for (const s of [holder, queued]) if (s) revs.set(s.promotion.id, s);
    const expect: Expectation[] = [
      { key: this.keys.inFlight(app, environment), field: 'id', value: (lockedBy as string | null) ?? null },
      ...environments.map((env) => ({ key: this.keys.ledger(app, env), field: 'version', value: current.get(env)?.version ?? null })),
      // A drift detected or settled meanwhile changes what a promotion out of (or a rollback in) that environment may do.
      ...environments.map((env) => ({ key: this.keys.drift(app, env), field: 'running', value: drifts.get(env)?.running ?? null })),
      // A lock taken or lifted meanwhile changes whether the request may start at all.
      { key: this.keys.locks(environment), field: 'rev', value: locks.rev },
    ];
    const snapshot: AppSnapshot = {
      current,
      history: (history as string[]).map((r) => JSON.parse(r) as DeployedVersion),
      bad: new Map(Object.entries(bad as Record<string, string>)),
      inFlight: holder && isActive(holder.promotion.state) ? holder.promotion : null,
      queued: queued?.promotion ?? null,
      drifts,
      locks: locks.locks.filter((l) => l.app === null || l.app === app),
      freezes: inForce(locks.freezes, this.now()),
      // A drill's record is written as it gives up the slot, so the slot's expectation covers it too.
      lastDrill: lastDrill ? (JSON.parse(lastDrill as string) as DrillRecord) : null,
    };
    return { head: (head as string | null) ?? '', snapshot, revs, expect };
  }

  /** The environment's ad-hoc freezes not yet over; one that ran out stays stored until the next freeze or unfreeze replaces the list. */
  async freezesOf(environment: string): Promise<AdHocFreeze[]> {
    return inForce(locksOf(await this.redis.hmget(this.keys.locks(environment), ...LOCK_FIELDS)).freezes, this.now());
  }

  /**
   * Reads the promotion, runs the pure decision, and commits it only if the record is
   * unchanged (compare-and-set) and every expectation (for example what runs in another
   * environment) still holds.
   */
  async transition(id: string, decide: (current: Promotion, locks: readonly Lock[], freezes: readonly AdHocFreeze[]) => Decision, expectations: Expectation[] | (() => Promise<Expectation[]>) = [], first: DecisionRead | null = null): Promise<Outcome> {
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      // What the decision relies on besides the record is read again on every attempt, so a conflict never repeats itself.
      const expected = typeof expectations === 'function' ? await expectations() : expectations;
      const { stored, scope, locks } = attempt === 0 && first ? first : await this.readWithHead(id);
      if (!stored) return { kind: 'missing', reason: `There is no promotion ${id}.` };
      const plan = new CommitPlan();
      expected.forEach((e) => plan.expectField(e.key, e.field, e.value));
      // Whether a promotion may start depends on its environment's locks and ad-hoc freezes: they must not change before the commit.
      plan.expectField(this.keys.locks(stored.promotion.environment), 'rev', locks.rev);
      const mine = locks.locks.filter((l) => l.app === null || l.app === stored.promotion.app);
      const outcome = await this.commit(plan, decide(stored.promotion, mine, inForce(locks.freezes, this.now())), stored, scope, new Map());
      if (outcome) return outcome;
      this.options.onConflict?.('transition');
      await pauseAfterConflict(attempt);
    }
    throw new ConflictError(`Could not update promotion ${id}: too many concurrent changes.`);
  }

  /**
   * The record, and its audit chain's head in the same round trip once this process has
   * seen the promotion (its app and environment never change); the first time, the head
   * is read after the decision.
   */
  private async readWithHead(id: string): Promise<DecisionRead> {
    const known = this.scopes.get(id);
    if (!known) {
      const stored = await this.get(id);
      if (stored) this.rememberScope(id, stored.promotion);
      const locks = stored ? locksOf(await this.redis.hmget(this.keys.locks(stored.promotion.environment), ...LOCK_FIELDS)) : NO_LOCKS;
      return { stored, scope: null, locks };
    }
    const [record, head, lockFields] = unwrap(
      await this.redis
        .pipeline()
        .hmget(this.keys.promotion(id), 'json', 'rev')
        .get(this.audit.headKey(this.audit.chainOf(known.app, known.environment)))
        .hmget(this.keys.locks(known.environment), ...LOCK_FIELDS)
        .exec(),
    );
    const [json, rev] = record as (string | null)[];
    if (!json || !rev) return { stored: null, scope: null, locks: NO_LOCKS };
    return { stored: { promotion: JSON.parse(json) as Promotion, rev: Number(rev) }, scope: { ...known, head: (head as string | null) ?? '' }, locks: locksOf(lockFields as (string | null)[]) };
  }

  private rememberScope(id: string, p: Promotion): void {
    if (this.scopes.size >= SCOPES_KEPT) this.scopes.delete(this.scopes.keys().next().value!);
    this.scopes.set(id, { app: p.app, environment: p.environment });
  }

  /**
   * What runs in an environment a promotion comes from, whether a deployment there is in
   * flight, and what a commit relying on both must still find.
   */
  async fromState(app: string, environment: string): Promise<{ live: DeployedVersion | null; deploying: string | null; drift: OpenDrift | null; expectations: Expectation[] }> {
    const [ledger, holderId, driftFields] = unwrap(
      await this.redis.pipeline().hgetall(this.keys.ledger(app, environment)).hget(this.keys.inFlight(app, environment), 'id').hmget(this.keys.drift(app, environment), 'running', 'detected').exec(),
    ) as [Record<string, string>, string | null, (string | null)[]];
    const [running, detected] = driftFields;
    const holder = holderId ? await this.get(holderId) : null;
    const live = ledger.version ? { version: ledger.version, promotionId: ledger.promotion ?? '', at: Number(ledger.at) } : null;
    return {
      live,
      deploying: holder?.promotion.state === 'deploying' ? holder.promotion.id : null,
      drift: running ? { running, detectedAt: Number(detected) } : null,
      expectations: [
        { key: this.keys.ledger(app, environment), field: 'version', value: live?.version ?? null },
        { key: this.keys.drift(app, environment), field: 'running', value: running ?? null },
        { key: this.keys.inFlight(app, environment), field: 'id', value: holderId },
        // The holder must not start deploying between this read and the commit.
        ...(holder ? [{ key: this.keys.promotion(holder.promotion.id), field: 'rev', value: String(holder.rev) }] : []),
      ],
    };
  }

  /** Records where the promotion message was posted; not an audited step. */
  async setMessageTs(id: string, ts: string): Promise<void> {
    await this.transition(id, (p) => (p.message.ts ? { kind: 'unchanged', reason: 'already posted' } : { kind: 'accept', next: { ...p, message: { ...p.message, ts } }, audit: [], effects: [] }));
  }

  /**
   * Builds and runs the commit for a decision; null when a concurrent change got there first.
   * `scope` carries the chain head when it was read with the record; otherwise it is read here.
   */
  private async commit(plan: CommitPlan, decision: Decision, before: StoredPromotion | null, scope: AuditScope | null, revs: ReadonlyMap<string, StoredPromotion>): Promise<Outcome | null> {
    if (decision.kind === 'unchanged') return { kind: 'unchanged', reason: decision.reason };
    if (decision.kind === 'refuse') {
      if (!decision.audit) return { kind: 'refuse', reason: decision.reason };
      if (before) plan.expectField(this.keys.promotion(before.promotion.id), 'rev', String(before.rev));
      await this.chainAudit(plan, scope, [{ facts: [decision.audit], subject: before?.promotion ?? null }]);
      return (await this.run(plan)) ? { kind: 'refuse', reason: decision.reason } : null;
    }
    // Side changes first: a superseded promotion gives up the slot the new one takes.
    const changes = [...(decision.others ?? []).map((o) => ({ ...o, before: revOf(o.next, revs) })), { next: decision.next, audit: decision.audit, effects: decision.effects, before }];
    const audits: { facts: AuditFact[]; subject: Promotion }[] = [];
    let rev = 0;
    for (const change of changes) {
      rev = this.writeRecord(plan, change.next, change.before);
      // Thread notes join the promotion's notes list in the same commit, so the thread shows them in the order of the facts.
      for (const e of change.effects) if (e.type === 'note') plan.op('RPUSH', this.keys.notes(change.next.id), noteEntry(e.text, e.rollbackTo));
      writeOutbox(
        plan,
        this.keys.outbox,
        change.effects.map((effect, index) => ({ kind: 'promotion', promotionId: change.next.id, rev, index, effect })),
      );
      if (change.audit.length > 0) audits.push({ facts: change.audit, subject: change.next });
    }
    await this.chainAudit(plan, scope, audits);
    if (decision.ledger) writeLedger(plan, this.keys, decision.ledger);
    if (decision.drill) {
      const key = this.keys.drills(decision.drill.app, decision.drill.environment);
      plan.op('LPUSH', key, JSON.stringify(decision.drill)).op('LTRIM', key, 0, DRILLS_KEPT - 1);
    }
    if (!(await this.run(plan))) return null;
    return { kind: 'accept', promotion: decision.next, rev, effects: decision.effects, reply: decision.reply ?? null };
  }

  private async run(plan: CommitPlan): Promise<boolean> {
    const applied = await plan.run(this.redis);
    this.tally.attempted(applied);
    return applied;
  }

  /** Writes one record with its compare-and-set, the slot and the index of what is pending; returns its new revision. */
  private writeRecord(plan: CommitPlan, next: Promotion, before: StoredPromotion | null): number {
    const key = this.keys.promotion(next.id);
    const rev = (before?.rev ?? 0) + 1;
    if (before) plan.expectField(key, 'rev', String(before.rev));
    else plan.expectField(key, 'rev', null).op('ZADD', this.keys.all, next.requestedAt, next.id);
    plan.op('HSET', key, 'json', JSON.stringify(next), 'rev', rev);
    const slot = this.keys.inFlight(next.app, next.environment);
    const held = before !== null && isActive(before.promotion.state);
    if (isActive(next.state) && !held) plan.op('HSET', slot, 'id', next.id);
    // A deployment that ends hands its slot to the rollback queued behind it, so nothing can slip in before that rollback starts.
    else if (!isActive(next.state) && held) {
      if (next.queuedRollback) plan.op('HSET', slot, 'id', next.queuedRollback);
      else plan.op('DEL', slot);
    }
    const wasPending = before !== null && isPending(before.promotion.state);
    if (isPending(next.state) && !wasPending) plan.op('ZADD', this.keys.active, next.requestedAt, next.id);
    else if (!isPending(next.state) && wasPending) plan.op('ZREM', this.keys.active, next.id);
    return rev;
  }

  /**
   * Chains every fact of the commit onto its app and environment's chain (a commit is
   * about one app and environment), after the head read with the snapshot or read now.
   */
  private async chainAudit(plan: CommitPlan, scope: AuditScope | null, groups: { facts: AuditFact[]; subject: Promotion | null }[]): Promise<void> {
    if (groups.every((g) => g.facts.length === 0)) return;
    const first = groups[0]?.subject ?? null;
    const app = scope?.app ?? first?.app ?? null;
    const environment = scope?.environment ?? first?.environment ?? null;
    const chain = this.audit.chainOf(app, environment);
    const head = scope?.head ?? (await this.audit.head(this.redis, chain));
    const subjectOf = (p: Promotion | null) => ({ promotion: p?.id ?? null, app, environment, version: p?.version ?? null, config: p?.configHash ?? null, detail: { kind: p?.kind ?? null } });
    this.audit.append(plan, chain, head, groups.map((g) => ({ facts: g.facts, subject: subjectOf(g.subject) })), new Date(this.now()).toISOString());
  }
}

/** The stored version a side change was decided on; a decision may only change what it read. */
function revOf(p: Promotion, read: ReadonlyMap<string, StoredPromotion>): StoredPromotion {
  const stored = read.get(p.id);
  if (stored === undefined) throw new Error(`A decision changed promotion ${p.id}, which it did not read.`);
  return stored;
}

/** An environment's locks as stored, with the revision a commit relying on them expects. */
export interface StoredLocks {
  locks: Lock[];
  /** Ad-hoc freezes share the hash and its revision: a commit that relies on one relies on both. */
  freezes: AdHocFreeze[];
  rev: string | null;
}

const NO_LOCKS: StoredLocks = { locks: [], freezes: [], rev: null };
/** The fields of an environment's stop-the-line hash: locks, revision, ad-hoc freezes. */
export const LOCK_FIELDS = ['json', 'rev', 'freezes'] as const;

export function locksOf([json, rev, freezes]: (string | null | undefined)[]): StoredLocks {
  return { locks: json ? (JSON.parse(json) as Lock[]) : [], freezes: freezes ? (JSON.parse(freezes) as AdHocFreeze[]) : [], rev: rev ?? null };
}

function unwrap(results: [Error | null, unknown][] | null): unknown[] {
  const failed = (results ?? []).find(([error]) => error);
  if (failed) throw failed[0];
  return (results ?? []).map(([, value]) => value);
}

/** The records of IDS in one round trip; an id whose record is gone is left out. */
export async function loadPromotions(redis: Redis, keys: Keys, ids: string[]): Promise<Promotion[]> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hget(keys.promotion(id), 'json');
  const results = (await pipeline.exec()) ?? [];
  return results.flatMap(([, json]) => (typeof json === 'string' ? [JSON.parse(json) as Promotion] : []));
}

/** Promotions not in a final state, read for any store that must act on them. */
export async function activePromotions(redis: Redis, keys: Keys): Promise<Promotion[]> {
  return loadPromotions(redis, keys, await redis.zrange(keys.active, 0, -1));
}
