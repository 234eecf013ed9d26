import type { Logger } from 'pino';
import { decideApproval, decideCancel, decideRejection, type Click } from '../domain/approvals.js';
import { unchanged, type Decision } from '../domain/decision.js';
import { decideWindowCheck } from '../domain/schedule.js';
import { decideReminder, pendingReminders, type ReminderStage } from '../domain/reminders.js';
import type { Lock } from '../domain/lock.js';
import { decideGatesSettled, decideRerunGates, type GateOutcome } from '../domain/gates.js';
import { decideDeployCall, decideDeploymentFailed, decideDeploymentRunning, decideDeploymentSucceeded, decideRolledBack } from '../domain/deployment.js';
import { isGroupId, type EnvironmentPolicy, type Policy } from '../domain/policy.js';
import type { AdHocFreeze } from '../domain/ad-hoc-freeze.js';
import type { Calendar } from '../domain/calendar/calendar.js';
import type { Instant, Promotion } from '../domain/promotion.js';
import { policyFor } from '../domain/readiness.js';
import { decidePromotionRequest, decideQueuedRollbackStart, decideRollbackRequest, liveBeforeDrill, rollbackTargetOf, type DeployedVersion } from '../domain/request.js';
import type { Outcome } from '../store/promotion-store.js';
import { decideDrillRequest } from '../domain/drill.js';
import { approverGroupsOf } from './membership.js';
import { DirectoryError, type Calendars, type Clock, type Directory, type PromotionRepository } from './ports.js';
import type { DelegationSource } from './delegation-service.js';

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
    /** Approval rights handed on; absent: approvals count only in the approver's own right. */
    private readonly delegations?: DelegationSource,
  ) {}

  private get environments(): string[] {
    return [...this.policy.environments.keys()];
  }

  /** The policy with the calendar of the one environment a decision is about, as its files read now. */
  private async livePolicy(environment: string): Promise<Policy> {
    if (!this.policy.environments.has(environment)) return this.policy;
    return { ...this.policy, environments: new Map([...this.policy.environments, [environment, await this.environment(environment)]]) };
  }

  private async environment(name: string): Promise<EnvironmentPolicy> {
    const env = this.policy.environments.get(name);
    if (!env) throw new Error(`Environment ${name} is not configured.`);
    const calendar = this.calendars.calendarFor(name);
    return { ...env, calendar, breakGlass: await this.breakGlass(name, calendar) };
  }

  /**
   * Members of each group a freeze of the environment lists as break-glass, looked up
   * before the decision (the directory caches them). A group that cannot be read lets
   * nobody through: the freeze holds, which is the safe side.
   */
  private async breakGlass(environment: string, calendar: Calendar | null): Promise<Map<string, ReadonlySet<string>>> {
    const listed = new Set([...(calendar?.options.allowed ?? []), ...(await this.repository.freezesOf(environment)).flatMap((f) => f.allow)]);
    const members = new Map<string, ReadonlySet<string>>();
    for (const entry of [...listed].filter(isGroupId)) {
      try {
        members.set(entry, await this.directory.membersOf(entry));
      } catch (error) {
        if (!(error instanceof DirectoryError)) throw error;
        this.log.warn({ environment, group: entry, err: error.message }, 'break-glass group could not be read; its members are held by the freeze');
      }
    }
    return members;
  }

  async request(ask: PromotionAskInput): Promise<ServiceResult> {
    const policy = await this.livePolicy(ask.environment);
    const outcome = await this.repository.create(ask.app, ask.environment, this.environments, (snapshot, id) =>
      decidePromotionRequest({ ...ask, id, requesterMemberOf: [], now: this.clock.now() }, policy, snapshot),
    );
    return this.finish(outcome);
  }

  async rollback(ask: RollbackAskInput): Promise<ServiceResult> {
    const env = this.policy.environments.get(ask.environment);
    const membership = env && this.policy.apps.has(ask.app) && !ask.automatic ? await approverGroupsOf(this.directory, env.rollback, ask.requester) : { memberOf: [], unknown: null };
    const policy = await this.livePolicy(ask.environment);
    const outcome = await this.repository.create(ask.app, ask.environment, this.environments, (snapshot, id) =>
      decideRollbackRequest({ ...ask, id, requesterMemberOf: membership.memberOf, membershipUnknown: membership.unknown, now: this.clock.now() }, policy, snapshot),
    );
    return this.finish(outcome);
  }

  /**
   * `/promote rehearse rollback APP ENV`, or the environment's rehearsal schedule
   * (`scheduled`, with Shipgate as requester): a drill, back to the version known good
   * and forward again, asked by someone who may roll the environment back.
   */
  async rehearse(ask: { app: string; environment: string; requester: string; scheduled?: boolean }): Promise<ServiceResult> {
    const env = this.policy.environments.get(ask.environment);
    const membership = env && this.policy.apps.has(ask.app) && !ask.scheduled ? await approverGroupsOf(this.directory, env.rollback, ask.requester) : { memberOf: [], unknown: null };
    const policy = await this.livePolicy(ask.environment);
    const outcome = await this.repository.create(ask.app, ask.environment, this.environments, (snapshot, id) =>
      decideDrillRequest({ ...ask, id, requesterMemberOf: membership.memberOf, membershipUnknown: membership.unknown, now: this.clock.now() }, policy, snapshot),
    );
    return this.finish(outcome);
  }

  /** The **Roll back** button under a deployment (or an alert): while that deployment still runs, back to the last version known good. */
  async rollbackDeployment(promotionId: string, user: string, options: { automatic?: boolean; reason?: string } = {}): Promise<ServiceResult> {
    const stored = await this.repository.get(promotionId);
    if (!stored) return { ok: false, reason: `There is no promotion ${promotionId}.`, kind: 'missing' };
    const p = stored.promotion;
    const target = rollbackTargetOf(p, await this.liveOutsideDrills(p.app, p.environment));
    if (!target.ok) return { ok: false, reason: target.reason, kind: 'refuse' };
    return this.rollback({ app: p.app, environment: p.environment, version: null, reason: options.reason ?? `rollback of ${p.id}`, requester: user, automatic: options.automatic ?? false });
  }

  /** What runs in an environment, or while a drill runs there, what ran before it (the **Roll back** button stays good). */
  private async liveOutsideDrills(app: string, environment: string): Promise<DeployedVersion | null> {
    const { live, deploying } = await this.repository.fromState(app, environment);
    const holder = deploying ? (await this.repository.get(deploying))?.promotion : null;
    return (holder ? liveBeforeDrill(holder) : null) ?? live;
  }

  /** The deployment a rollback waited for has ended: the rollback starts against what runs now. */
  async startQueued(id: string): Promise<ServiceResult> {
    const stored = await this.repository.get(id);
    if (!stored) return { ok: false, reason: `There is no promotion ${id}.`, kind: 'missing' };
    const policy = await this.livePolicy(stored.promotion.environment);
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
    return this.clicked(id, user, (p, click, env) => decideApproval(p, click, env, this.clock.now()), true);
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
  async gatesSettled(id: string, run: number, verdicts: ReadonlyMap<string, GateOutcome>, gaveUp: ReadonlyMap<string, string>): Promise<ServiceResult> {
    const env = await this.environmentOf(id);
    if (!env) return { ok: false, reason: `There is no promotion ${id}.`, kind: 'missing' };
    return this.apply(id, (p, locks, freezes) => decideGatesSettled(p, run, verdicts, gaveUp, { ...env, locks, freezes }, this.clock.now()));
  }

  rerunGates(id: string, user: string): Promise<ServiceResult> {
    return this.clicked(id, user, (p, click, env) => decideRerunGates(p, click, env));
  }

  private async apply(id: string, decide: (p: Promotion, locks: readonly Lock[], freezes: readonly AdHocFreeze[]) => Decision): Promise<ServiceResult> {
    return this.finish(await this.repository.transition(id, decide));
  }

  /** The live environment of a promotion (its environment never changes, so it is read before the transition). */
  private async environmentOf(id: string): Promise<EnvironmentPolicy | null> {
    const stored = await this.repository.get(id);
    return stored ? this.environment(stored.promotion.environment) : null;
  }

  /** A scheduled promotion's window should be open now, or its approvals lapse: ask the calendar and the approvals again. */
  async checkWindow(id: string): Promise<void> {
    const env = await this.environmentOf(id);
    if (!env) return;
    await this.finish(await this.repository.transition(id, (p, locks, freezes) => decideWindowCheck(p, { ...env, locks, freezes }, this.clock.now())));
  }

  /** A reminder or escalation is due: pinged once, if the promotion still waits for approval. */
  async remind(id: string, stage: ReminderStage, at: Instant): Promise<void> {
    const env = await this.environmentOf(id);
    if (!env) return;
    await this.finish(await this.repository.transition(id, (p) => decideReminder(p, { stage, at }, env, this.clock.now())));
  }

  /** The reminders a promotion waiting for approval should have queued (the sweep queues them again if missing). */
  pendingReminders(p: Promotion) {
    // Reminders depend on the approval policy only, not on the calendar or a freeze.
    const env = this.policy.environments.get(p.environment);
    return env ? pendingReminders(p, env) : [];
  }

  /**
   * A click decides in three round trips after the ack: the record (which says whose
   * approval counts); then, at once, the approvers' groups, the delegations, the
   * break-glass lists, and the record with its chain head and locks; then the commit,
   * which writes what follows into the outbox.
   */
  private async clicked(id: string, user: string, decide: (p: Promotion, click: Click, env: EnvironmentPolicy) => Decision, delegated = false): Promise<ServiceResult> {
    const stored = await this.repository.get(id);
    if (!stored) return { ok: false, reason: `There is no promotion ${id}.`, kind: 'missing' };
    if (!this.policy.environments.has(stored.promotion.environment)) {
      return { ok: false, reason: `Environment ${stored.promotion.environment} is no longer configured; this promotion cannot change.`, kind: 'refuse' };
    }
    const name = stored.promotion.environment;
    // Who may approve depends on the configured policy only, so it is looked up alongside the rest.
    const policy = policyFor(stored.promotion, this.policy.environments.get(name)!);
    const [env, membership, delegations, read] = await Promise.all([
      this.environment(name),
      approverGroupsOf(this.directory, policy, user),
      delegated && this.delegations ? this.delegations.heldBy(user, name, policy) : Promise.resolve([]),
      this.repository.read(id),
    ]);
    const click: Click = { user, memberOf: membership.memberOf, membershipUnknown: membership.unknown, delegations };
    return this.finish(await this.repository.transition(id, (p, locks, freezes) => decide(p, click, { ...env, locks, freezes }), [], read));
  }

  private finish(outcome: Outcome): ServiceResult {
    if (outcome.kind !== 'accept') return { ok: false, reason: outcome.reason, kind: outcome.kind };
    const p = outcome.promotion;
    this.log.child({ promotion: p.id }).info({ state: p.state, app: p.app, version: p.version, environment: p.environment }, 'promotion changed');
    return { ok: true, reply: outcome.reply ?? 'Done.', promotion: p };
  }
}

