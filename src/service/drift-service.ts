import type { Logger } from 'pino';
import { decideDriftAdopt, decideDriftCheck, type DriftDecision, type DriftRecord } from '../domain/drift.js';
import { unknownApp, unknownEnvironment, type Policy } from '../domain/policy.js';
import type { DriftRead } from '../store/drift-store.js';
import { approverGroupsOf } from './membership.js';
import type { Clock, Directory } from './ports.js';
import type { PromotionService, ServiceResult } from './promotion-service.js';

/** Where drift records live: read, decide, commit with audit and outbox entries. */
export interface DriftRepository {
  get(app: string, environment: string): Promise<DriftRecord | null>;
  transition(app: string, environment: string, decide: (read: DriftRead) => DriftDecision | Promise<DriftDecision>): Promise<DriftDecision>;
}

/** What an executor reports running, for the app and environments whose executor can tell (AsyncExecutor.current). */
export type CurrentOf = (app: string, environment: string) => Promise<string | null>;

export type CheckResult = 'skipped' | 'unchanged' | 'in_sync' | 'detected' | 'changed' | 'resolved';

/**
 * Drift: what runs against what Shipgate recorded. A scheduled check compares them; the
 * drift message's buttons adopt what runs (into the ledger) or roll back to the ledger's
 * version (a rollback promotion, under the rollback policy).
 */
export class DriftService {
  constructor(
    private readonly policy: Policy,
    private readonly drifts: DriftRepository,
    private readonly promotions: PromotionService,
    private readonly directory: Directory,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onDetected: (app: string, environment: string, sinceInSyncMs: number) => void = () => undefined,
  ) {}

  /**
   * One scheduled check. The executor is asked after the ledger and the slot are read, and
   * the result commits only if neither changed meanwhile, so a deployment that ends
   * between the two reads is never taken for drift. Nothing is checked while a deployment
   * runs there: the executor is changing what runs.
   */
  async check(app: string, environment: string, currentOf: CurrentOf): Promise<CheckResult> {
    const env = this.policy.environments.get(environment);
    if (!env || !this.policy.apps.has(app)) return 'skipped';
    const log = this.log.child({ app, environment });
    let skipped = false;
    let decision: DriftDecision;
    try {
      decision = await this.drifts.transition(app, environment, async (read) => {
        skipped = read.deploying !== null;
        if (skipped) return { kind: 'unchanged', reason: `${read.deploying} is deploying` };
        const running = await currentOf(app, environment);
        return decideDriftCheck(read.record, { running, ledger: read.ledger, ledgerKind: read.ledgerKind }, app, environment, env.channel, this.clock.now());
      });
    } catch (error) {
      // The executor's target did not answer (or Redis failed): the next scheduled check tries again.
      log.warn({ reason: (error as Error).message }, 'could not check for drift; the next check tries again');
      return 'skipped';
    }
    if (skipped) return 'skipped';
    if (decision.kind !== 'accept') return 'unchanged';
    if (decision.detected) {
      log.warn({ running: decision.next.running, recorded: decision.next.recorded?.version }, 'drift detected');
      this.onDetected(app, environment, decision.detected.sinceInSyncMs);
      return 'detected';
    }
    const type = decision.audit[0]?.type;
    if (type === 'drift_resolved') log.info({ how: decision.next.resolution?.how }, 'drift resolved');
    return type === 'drift_resolved' ? 'resolved' : type === 'drift_changed' ? 'changed' : 'in_sync';
  }

  /** **Adopt VERSION**: an approver of the environment records what runs in the ledger. */
  async adopt(app: string, environment: string, user: string): Promise<ServiceResult> {
    const unknown = unknownApp(this.policy, app) ?? unknownEnvironment(this.policy, environment);
    if (unknown) return { ok: false, reason: unknown, kind: 'refuse' };
    const env = this.policy.environments.get(environment)!;
    const membership = await approverGroupsOf(this.directory, env.approvals, user);
    const click = { user, memberOf: membership.memberOf, membershipUnknown: membership.unknown };
    const decision = await this.drifts.transition(app, environment, (read) => decideDriftAdopt(read.record, click, env, read.ledger, read.deploying, this.clock.now()));
    if (decision.kind !== 'accept') return { ok: false, reason: decision.reason, kind: decision.kind };
    this.log.child({ app, environment }).info({ version: decision.next.running, user }, 'drift adopted');
    return { ok: true, reply: decision.reply ?? 'Done.', promotion: null };
  }

  /**
   * **Roll back to VERSION**: a rollback to the version the ledger records, as
   * `/promote rollback APP ENV to VERSION` would ask for it; the domain accepts the
   * ledger's own version because the environment has drifted from it.
   */
  async rollback(app: string, environment: string, user: string): Promise<ServiceResult> {
    const d = await this.drifts.get(app, environment);
    if (!d || d.state !== 'drifted' || !d.recorded) return { ok: false, reason: `There is no drift of ${app} in ${environment} to roll back.`, kind: 'unchanged' };
    return this.promotions.rollback({ app, environment, version: d.recorded.version, reason: `drift: ${d.running} ran instead of ${d.recorded.version}`, requester: user });
  }
}
