import type { Redis } from 'ioredis';
import type { DriftDecision, DriftRecord } from '../domain/drift.js';
import type { Instant, Promotion } from '../domain/promotion.js';
import type { DeployedVersion } from '../domain/request.js';
import type { AuditWriter } from './audit-writer.js';
import { CommitPlan } from './commit-script.js';
import { pauseAfterConflict } from './contention.js';
import type { Keys } from './keys.js';
import { ledgerOf, writeLedger } from './ledger-write.js';
import { writeOutbox } from './outbox.js';

const MAX_CONFLICTS = 50;

/** Everything a drift decision about one app and environment reads. */
export interface DriftRead {
  record: DriftRecord | null;
  ledger: DeployedVersion | null;
  /** The kind of the promotion the ledger names (null: none, or an adoption). */
  ledgerKind: 'promote' | 'rollback' | null;
  /** The promotion deploying there now, if any: the executor is changing what runs. */
  deploying: string | null;
}

/**
 * Drift records, one per app and environment, changed only through atomic commits: the
 * record, its audit entries, its outbox entries and (for an adoption) the ledger at once,
 * and only if the record, the ledger and the environment's slot are as the decision read them.
 */
export class DriftStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly now: () => Instant,
    private readonly audit: AuditWriter,
  ) {}

  async get(app: string, environment: string): Promise<DriftRecord | null> {
    const json = await this.redis.hget(this.keys.drift(app, environment), 'json');
    return json ? (JSON.parse(json) as DriftRecord) : null;
  }

  /**
   * Reads, decides (the decision may call out, e.g. to the executor, after the read), and
   * commits only if nothing read changed meanwhile; decides again on a conflict.
   */
  async transition(app: string, environment: string, decide: (read: DriftRead) => DriftDecision | Promise<DriftDecision>): Promise<DriftDecision> {
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const { read, rev, expect, head } = await this.read(app, environment);
      const decision = await decide(read);
      if (decision.kind === 'unchanged' || (decision.kind === 'refuse' && !decision.audit)) return decision;
      const plan = new CommitPlan();
      for (const [key, field, value] of expect) plan.expectField(key, field, value);
      const chain = this.audit.chainOf(app, environment);
      const at = new Date(this.now()).toISOString();
      const subject = (version: string | null, episode: number | null) => ({ promotion: null, app, environment, version, config: null, detail: { drift_episode: episode } });
      if (decision.kind === 'refuse') {
        this.audit.append(plan, chain, head, [{ facts: [decision.audit!], subject: subject(read.record?.running ?? null, read.record?.episode ?? null) }], at);
      } else {
        const next = decision.next;
        const key = this.keys.drift(app, environment);
        const newRev = rev + 1;
        plan.op('HSET', key, 'json', JSON.stringify(next), 'rev', newRev);
        if (next.state === 'drifted' && next.running !== null) plan.op('HSET', key, 'running', next.running, 'detected', next.detectedAt ?? 0);
        else plan.op('HDEL', key, 'running', 'detected');
        writeOutbox(plan, this.keys.outbox, decision.effects.map((effect, index) => ({ kind: 'drift', app, environment, rev: newRev, index, effect })));
        if (decision.audit.length > 0) this.audit.append(plan, chain, head, [{ facts: decision.audit, subject: subject(next.running, next.episode) }], at);
        if (decision.ledger) writeLedger(plan, this.keys, decision.ledger);
      }
      if (await plan.run(this.redis)) return decision;
      await pauseAfterConflict(attempt);
    }
    throw new Error(`Could not record the drift of ${app} in ${environment}: too many concurrent changes.`);
  }

  /** Stores where the drift message of EPISODE was posted; not an audited step. */
  async setMessageTs(app: string, environment: string, episode: number, ts: string): Promise<void> {
    await this.transition(app, environment, ({ record }) =>
      record && record.episode === episode && record.message.ts === null
        ? { kind: 'accept', next: { ...record, message: { ...record.message, ts } }, audit: [], effects: [] }
        : { kind: 'unchanged', reason: 'already posted' },
    );
  }

  private async read(app: string, environment: string) {
    const { keys } = this;
    const [drift, ledgerHash, holderId, head] = unwrap(
      await this.redis
        .pipeline()
        .hmget(keys.drift(app, environment), 'json', 'rev')
        .hgetall(keys.ledger(app, environment))
        .hget(keys.inFlight(app, environment), 'id')
        .get(this.audit.headKey(this.audit.chainOf(app, environment)))
        .exec(),
    ) as [(string | null)[], Record<string, string>, string | null, string | null];
    const [json, rev] = drift;
    const ledger = ledgerOf(ledgerHash);
    const ids = [holderId, ledger?.promotionId].filter((id): id is string => !!id);
    const records = ids.length ? await Promise.all(ids.map((id) => this.redis.hmget(keys.promotion(id), 'json', 'rev'))) : [];
    const byId = new Map(ids.map((id, i) => [id, records[i]!]));
    const holder = holderId ? byId.get(holderId) : undefined;
    const holderPromotion = holder?.[0] ? (JSON.parse(holder[0]) as Promotion) : null;
    const ledgerJson = ledger ? byId.get(ledger.promotionId)?.[0] : null;
    const expect: [string, string, string | null][] = [
      [keys.drift(app, environment), 'rev', rev ?? null],
      [keys.ledger(app, environment), 'version', ledger?.version ?? null],
      [keys.ledger(app, environment), 'promotion', ledger ? (ledgerHash.promotion ?? null) : null],
      [keys.inFlight(app, environment), 'id', holderId],
      // The slot's holder must not start deploying between this read and the commit.
      ...(holderId && holder?.[1] ? [[keys.promotion(holderId), 'rev', holder[1]] as [string, string, string]] : []),
    ];
    const read: DriftRead = {
      record: json ? (JSON.parse(json) as DriftRecord) : null,
      ledger,
      // A drill's legs name the promotions that first deployed each version, so the ledger never names a drill.
      ledgerKind: ledgerJson ? kindOf(JSON.parse(ledgerJson) as Promotion) : null,
      deploying: holderPromotion?.state === 'deploying' ? holderPromotion.id : null,
    };
    return { read, rev: Number(rev ?? 0), expect, head: head ?? '' };
  }
}

function kindOf(p: Promotion): 'promote' | 'rollback' {
  return p.kind === 'drill' ? 'rollback' : p.kind;
}

function unwrap(results: [Error | null, unknown][] | null): unknown[] {
  const failed = (results ?? []).find(([error]) => error);
  if (failed) throw failed[0];
  return (results ?? []).map(([, value]) => value);
}
