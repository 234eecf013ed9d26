import type { Logger } from 'pino';
import { decideApproval, decideCancel, decideRejection, type Click } from '../domain/approvals.js';
import { unchanged, type Decision } from '../domain/decision.js';
import { decideWindowCheck } from '../domain/schedule.js';
import type { Lock } from '../domain/lock.js';
import { decideGatesSettled, decideRerunGates, type GateOutcome } from '../domain/gates.js';
import { decideDeployCall, decideDeploymentFailed, decideDeploymentRunning, decideDeploymentSucceeded, decideRolledBack } from '../domain/deployment.js';
import type { EnvironmentPolicy, Policy } from '../domain/policy.js';
import type { Promotion } from '../domain/promotion.js';
import { policyFor } from '../domain/readiness.js';
import { decidePromotionRequest, decideQueuedRollbackStart, decideRollbackRequest, rollbackTargetOf } from '../domain/request.js';
import type { Outcome } from '../store/promotion-store.js';
import { approverGroupsOf } from './membership.js';
import type { Calendars, Clock, Directory, PromotionRepository } from './ports.js';

export type ServiceResult =
  | { ok: true; reply: string; promotion: Promotion | null }
  /** `refuse`: the policy says no; `unchanged`: nothing to do (already done, or overtaken); `missing`: no such promotion. */
  | { ok: false; reason: string; kind?: 'refuse' | 'unchanged' | 'missing' };

export interface PromotionAskInput {
  app: string;
  version: string;
  environment: string;
  reason: string;
  requester: string;
  emergency?: boolean;
  forceBad?: boolean;
}

export interface RollbackAskInput {
  app: string;
  environment: string;
  version: string | null;
  reason: string;
  requester: string;
  automatic?: boolean;
}

/**
 * What a deploy job may do after asking: call the executor; stop (the promotion moved on
 * or was blocked); or wait a moment (`from` is itself being deployed, so what runs there
 * is about to change and cannot be checked yet).
 */
export type DeployCall = { call: true; promotion: Promotion } | { call: false; reason: string } | { call: 'wait'; reason: string };

/**
 * The use cases: each reads state, runs a pure decision and commits it atomically. The
 * commit writes the follow-up work into the outbox; nothing here queues jobs itself.
 */
export class PromotionService {
  constructor(
    private readonly policy: Policy,
    private readonly calendars: Calendars,
    private readonly repository: PromotionRepository,
    private readonly directory: Directory,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  private get environments(): string[] {
    return [...this.policy.environments.keys()];
  }

  /** The policy with the calendar of the one environment a decision is about, as its files read now. */
  private livePolicy(environment: string): Policy {
    const env = this.policy.environments.get(environment);
    if (!env) return this.policy;
    return { ...this.policy, environments: new Map([...this.policy.environments, [environment, { ...env, calendar: this.calendars.calendarFor(environment) }]]) };
  }

  private environment(name: string): EnvironmentPolicy {
    const env = this.policy.environments.get(name);
    if (!env) throw new Error(`Environment ${name} is not configured.`);
    return { ...env, calendar: this.calendars.calendarFor(name) };
  }

  async request(ask: PromotionAskInput): Promise<ServiceResult> {
    const policy = this.livePolicy(ask.environment);
    const outcome = await this.repository.create(ask.app, ask.environment, this.environments, (snapshot, id) =>
      decidePromotionRequest({ ...ask, id, requesterMemberOf: [], now: this.clock.now() }, policy, snapshot),
    );
    return this.finish(outcome);
  }

  async rollback(ask: RollbackAskInput): Promise<ServiceResult> {
    const env = this.policy.environments.get(ask.environment);
    const membership = env && this.policy.apps.has(ask.app) && !ask.automatic ? await approverGroupsOf(this.directory, env.rollback, ask.requester) : { memberOf: [], unknown: null };
    const policy = this.livePolicy(ask.environment);
    const outcome = await this.repository.create(ask.app, ask.environment, this.environments, (snapshot, id) =>
      decideRollbackRequest({ ...ask, id, requesterMemberOf: membership.memberOf, membershipUnknown: membership.unknown, now: this.clock.now() }, policy, snapshot),
    );
    return this.finish(outcome);
  }

  /** The **Roll back** button under a deployment (or an alert): while that deployment still runs, back to the last version known good. */
  async rollbackDeployment(promotionId: string, user: string, options: { automatic?: boolean; reason?: string } = {}): Promise<ServiceResult> {
    const stored = await this.repository.get(promotionId);
    if (!stored) return { ok: false, reason: `There is no promotion ${promotionId}.`, kind: 'missing' };
    const p = stored.promotion;
    const target = rollbackTargetOf(p, await this.repository.current(p.app, p.environment));
    if (!target.ok) return { ok: false, reason: target.reason, kind: 'refuse' };
    return this.rollback({ app: p.app, environment: p.environment, version: null, reason: options.reason ?? `rollback of ${p.id}`, requester: user, automatic: options.automatic ?? false });
  }

  /** The deployment a rollback waited for has ended: the rollback starts against what runs now. */
  async startQueued(id: string): Promise<ServiceResult> {
    const stored = await this.repository.get(id);
    if (!stored) return { ok: false, reason: `There is no promotion ${id}.`, kind: 'missing' };
    const policy = this.livePolicy(stored.promotion.environment);
    return this.finish(await this.repository.transitionWithSnapshot(id, this.environments, (p, snapshot) => decideQueuedRollbackStart(p, policy, snapshot, this.clock.now())));
  }

  private readonly rollbackListeners: ((original: string, rollback: Promotion) => Promise<void>)[] = [];

  /** Called after a rollback is deployed, with the id of the promotion it undid. */
  onRolledBack(listener: (original: string, rollback: Promotion) => Promise<void>): void {
    this.rollbackListeners.push(listener);
  }

  /** A deployed rollback undid `original`: it is marked rolled back, and whoever listens (alerts) is told. Safe to repeat. */
  async markRolledBack(original: string, rollbackId: string): Promise<void> {
    const rollback = (await this.repository.get(rollbackId))?.promotion;
    if (!rollback) return;
    await this.finish(await this.repository.transition(original, (p) => decideRolledBack(p, rollback, this.clock.now())));
    for (const listener of this.rollbackListeners) await listener(original, rollback);
  }

  approve(id: string, user: string): Promise<ServiceResult> {
    return this.clicked(id, user, (p, click, env) => decideApproval(p, click, env, this.clock.now()));
  }

  reject(id: string, user: string, reason: string | null = null): Promise<ServiceResult> {
    return this.clicked(id, user, (p, click, env) => decideRejection(p, { ...click, reason }, env, this.clock.now()));
  }

  cancel(id: string, user: string): Promise<ServiceResult> {
    return this.clicked(id, user, (p, click, env) => decideCancel(p, click, env, this.clock.now()));
  }

  /**
   * A deploy job is about to call the executor. The first time, the path rule is checked
   * against what runs in `from` now, committed only if that is still so; later tries of
   * the same call (the job retried) go ahead with the same Idempotency-Key.
   */
  async deployCall(id: string): Promise<DeployCall> {
    const stored = await this.repository.get(id);
    if (!stored || stored.promotion.state !== 'deploying') return { call: false, reason: stored ? `it is ${stored.promotion.state}` : 'it does not exist' };
    const p = stored.promotion;
    if (p.deployment?.calledAt) return { call: true, promotion: p };
    const readFrom = () => (p.kind === 'promote' && p.from ? this.repository.fromState(p.app, p.from) : Promise.resolve(null));
    let from = await readFrom();
    if (from?.deploying) return { call: 'wait', reason: `${p.from} is being deployed (${from.deploying})` };
    // Read again on every attempt: the check and the commit must agree on what runs in `from` then.
    const outcome = await this.repository.transition(
      id,
      (current) => (from?.deploying ? unchanged(`${p.from} is being deployed (${from.deploying})`) : decideDeployCall(current, from?.live ?? null, this.clock.now(), from?.drift ?? null)),
      async () => {
        from = await readFrom();
        return from?.expectations ?? [];
      },
    );
    this.finish(outcome);
    if (outcome.kind === 'unchanged' && from?.deploying) return { call: 'wait', reason: `${p.from} is being deployed (${from.deploying})` };
    if (outcome.kind === 'accept' && outcome.promotion.state === 'deploying') return { call: true, promotion: outcome.promotion };
    if (outcome.kind === 'unchanged') return this.deployCall(id);
    return { call: false, reason: outcome.kind === 'accept' ? `it is ${outcome.promotion.state}` : outcome.reason };
  }

  async deploymentSucceeded(id: string): Promise<void> {
    await this.finish(await this.repository.transition(id, (p) => decideDeploymentSucceeded(p, this.clock.now())));
  }

  async deploymentFailed(id: string, error: string, link: string | null = null): Promise<void> {
    await this.finish(await this.repository.transition(id, (p) => decideDeploymentFailed(p, error, this.clock.now(), link)));
  }

  /**
   * The executor started a deployment that runs on: its handle is recorded before the
   * first poll. Answers the handle to follow: this one, or the one another worker
   * recorded first (both came from the same idempotent `start`); null when the
   * promotion is no longer deploying.
   */
  async deploymentRunning(id: string, handle: string, link: string | null): Promise<string | null> {
    const outcome = await this.repository.transition(id, (p) => decideDeploymentRunning(p, handle, link, this.clock.now()));
    this.finish(outcome);
    if (outcome.kind === 'accept') return handle;
    const stored = await this.repository.get(id);
    return stored?.promotion.state === 'deploying' ? (stored.promotion.deployment?.handle ?? null) : null;
  }

  /** A gate run settled: the verdicts its jobs returned (and the gates whose jobs gave up, with why) are committed at once. */
  gatesSettled(id: string, run: number, verdicts: ReadonlyMap<string, GateOutcome>, gaveUp: ReadonlyMap<string, string>): Promise<ServiceResult> {
    return this.apply(id, (p, locks) => decideGatesSettled(p, run, verdicts, gaveUp, { ...this.environment(p.environment), locks }, this.clock.now()));
  }

  rerunGates(id: string, user: string): Promise<ServiceResult> {
    return this.clicked(id, user, (p, click, env) => decideRerunGates(p, click, env));
  }

  private async apply(id: string, decide: (p: Promotion, locks: readonly Lock[]) => Decision): Promise<ServiceResult> {
    return this.finish(await this.repository.transition(id, decide));
  }

  /** A scheduled promotion's window should be open now, or its approvals lapse: ask the calendar and the approvals again. */
  async checkWindow(id: string): Promise<void> {
    await this.finish(await this.repository.transition(id, (p, locks) => decideWindowCheck(p, { ...this.environment(p.environment), locks }, this.clock.now())));
  }

  /**
   * A click decides in three round trips after the ack: the record (which says whose
   * approval counts); then the approvers' groups together with the record, its chain head
   * and locks; then the commit, which writes what follows into the outbox.
   */
  private async clicked(id: string, user: string, decide: (p: Promotion, click: Click, env: EnvironmentPolicy) => Decision): Promise<ServiceResult> {
    const stored = await this.repository.get(id);
    if (!stored) return { ok: false, reason: `There is no promotion ${id}.`, kind: 'missing' };
    if (!this.policy.environments.has(stored.promotion.environment)) {
      return { ok: false, reason: `Environment ${stored.promotion.environment} is no longer configured; this promotion cannot change.`, kind: 'refuse' };
    }
    const env = this.environment(stored.promotion.environment);
    const [membership, read] = await Promise.all([approverGroupsOf(this.directory, policyFor(stored.promotion, env), user), this.repository.read(id)]);
    const click: Click = { user, memberOf: membership.memberOf, membershipUnknown: membership.unknown };
    return this.finish(await this.repository.transition(id, (p, locks) => decide(p, click, { ...env, locks }), [], read));
  }

  private finish(outcome: Outcome): ServiceResult {
    if (outcome.kind !== 'accept') return { ok: false, reason: outcome.reason, kind: outcome.kind };
    const p = outcome.promotion;
    this.log.child({ promotion: p.id }).info({ state: p.state, app: p.app, version: p.version, environment: p.environment }, 'promotion changed');
    return { ok: true, reply: outcome.reply ?? 'Done.', promotion: p };
  }
}

