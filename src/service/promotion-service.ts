import type { Logger } from 'pino';
import { decideApproval, decideCancel, decideRejection, type Click } from '../domain/approvals.js';
import type { Decision } from '../domain/decision.js';
import { decideWindowCheck } from '../domain/schedule.js';
import { decideGateResult, decideGateRunning, decideGatesSettled, decideRerunGates } from '../domain/gates.js';
import { decideDeploymentFailed, decideDeploymentSucceeded, decideRolledBack } from '../domain/deployment.js';
import type { EnvironmentPolicy, Policy } from '../domain/policy.js';
import type { GateResult, Promotion } from '../domain/promotion.js';
import { policyFor } from '../domain/readiness.js';
import { decidePromotionRequest, decideRollbackRequest, rollbackTargetOf } from '../domain/request.js';
import type { Outcome } from '../store/promotion-store.js';
import { approverGroupsOf } from './membership.js';
import type { Calendars, Clock, Directory, Jobs, PromotionRepository } from './ports.js';

export type ServiceResult = { ok: true; reply: string; promotion: Promotion | null } | { ok: false; reason: string };

export interface PromotionAskInput {
  app: string;
  version: string;
  environment: string;
  reason: string;
  requester: string;
  emergency?: boolean;
}

export interface RollbackAskInput {
  app: string;
  environment: string;
  version: string | null;
  reason: string;
  requester: string;
  automatic?: boolean;
}

/** The use cases: each reads state, runs a pure decision, commits atomically, then queues what follows. */
export class PromotionService {
  constructor(
    private readonly policy: Policy,
    private readonly calendars: Calendars,
    private readonly repository: PromotionRepository,
    private readonly jobs: Jobs,
    private readonly directory: Directory,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

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
    const id = await this.repository.nextId();
    const environments = [...this.policy.environments.keys()];
    const policy = this.livePolicy(ask.environment);
    const outcome = await this.repository.create(ask.app, ask.environment, environments, (snapshot) =>
      decidePromotionRequest({ ...ask, id, requesterMemberOf: [], now: this.clock.now() }, policy, snapshot),
    );
    return this.finish(outcome);
  }

  async rollback(ask: RollbackAskInput): Promise<ServiceResult> {
    const env = this.policy.environments.get(ask.environment);
    const membership = env && this.policy.apps.has(ask.app) ? await approverGroupsOf(this.directory, env.rollback, ask.requester) : { memberOf: [], unknown: null };
    const id = await this.repository.nextId();
    const environments = [...this.policy.environments.keys()];
    const policy = this.livePolicy(ask.environment);
    const outcome = await this.repository.create(ask.app, ask.environment, environments, (snapshot) =>
      decideRollbackRequest({ ...ask, id, requesterMemberOf: membership.memberOf, membershipUnknown: membership.unknown, now: this.clock.now() }, policy, snapshot),
    );
    return this.finish(outcome);
  }

  private readonly rollbackListeners: ((original: string, rollback: Promotion) => Promise<void>)[] = [];

  /** Called after a rollback is deployed, with the id of the promotion it undid. */
  onRolledBack(listener: (original: string, rollback: Promotion) => Promise<void>): void {
    this.rollbackListeners.push(listener);
  }

  /** The **Roll back** button under a deployment (or an alert): roll that environment back to what ran before it. */
  async rollbackDeployment(promotionId: string, user: string, options: { automatic?: boolean; reason?: string } = {}): Promise<ServiceResult> {
    const stored = await this.repository.get(promotionId);
    if (!stored) return { ok: false, reason: `There is no promotion ${promotionId}.` };
    const p = stored.promotion;
    const target = rollbackTargetOf(p, await this.repository.current(p.app, p.environment));
    if (!target.ok) return target;
    return this.rollback({ app: p.app, environment: p.environment, version: target.version, reason: options.reason ?? `rollback of ${p.id}`, requester: user, automatic: options.automatic ?? false });
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

  async deploymentSucceeded(id: string): Promise<void> {
    const outcome = await this.repository.transition(id, (p) => decideDeploymentSucceeded(p, this.clock.now()));
    await this.finish(outcome);
    if (outcome.kind === 'accept' && outcome.promotion.rollbackOf) {
      const rollback = outcome.promotion;
      await this.finish(await this.repository.transition(rollback.rollbackOf!, (p) => decideRolledBack(p, rollback, this.clock.now())));
      for (const listener of this.rollbackListeners) await listener(rollback.rollbackOf!, rollback);
    }
  }

  gateRunning(id: string, run: number, gate: string, summary: string): Promise<ServiceResult> {
    return this.apply(id, (p) => decideGateRunning(p, run, gate, summary));
  }

  gateFinished(id: string, run: number, gate: string, verdict: Omit<GateResult, 'configHash'>): Promise<ServiceResult> {
    return this.apply(id, (p) => decideGateResult(p, run, gate, verdict));
  }

  gatesSettled(id: string, run: number): Promise<ServiceResult> {
    return this.apply(id, (p) => decideGatesSettled(p, run, this.environment(p.environment), this.clock.now()));
  }

  rerunGates(id: string, user: string): Promise<ServiceResult> {
    return this.clicked(id, user, (p, click, env) => decideRerunGates(p, click, env));
  }

  private async apply(id: string, decide: (p: Promotion) => Decision): Promise<ServiceResult> {
    return this.finish(await this.repository.transition(id, decide));
  }

  /** A scheduled promotion's window should be open now: ask the calendar again. */
  async checkWindow(id: string): Promise<void> {
    await this.finish(await this.repository.transition(id, (p) => decideWindowCheck(p, this.environment(p.environment), this.clock.now())));
  }

  async deploymentFailed(id: string, error: string): Promise<void> {
    await this.finish(await this.repository.transition(id, (p) => decideDeploymentFailed(p, error, this.clock.now())));
  }

  /**
   * Re-queues what a process may have committed but not queued before it stopped:
   * deployments, gate runs and window checks of the promotions waiting on them, and
   * messages never posted. All are idempotent: deterministic job ids, a gate flow
   * added only when its parent is missing, renders that skip what is already shown.
   */
  async resume(): Promise<{ deployments: number; gateRuns: number; windowChecks: number; messages: number }> {
    const active = await this.repository.active();
    const deploying = active.filter((p) => p.state === 'deploying');
    const checking = active.filter((p) => p.state === 'checking' && p.gates);
    const scheduled = active.filter((p) => p.state === 'scheduled' && p.scheduledFor !== null);
    const unposted = active.filter((p) => p.message.ts === null);
    for (const p of deploying) await this.jobs.deploy(p);
    for (const p of checking) await this.jobs.runGates(p, p.gates!.run);
    for (const p of scheduled) await this.jobs.checkWindow(p.id, p.scheduledFor!);
    for (const p of unposted) await this.jobs.render(p.id);
    return { deployments: deploying.length, gateRuns: checking.length, windowChecks: scheduled.length, messages: unposted.length };
  }

  private async clicked(id: string, user: string, decide: (p: Promotion, click: Click, env: EnvironmentPolicy) => Decision): Promise<ServiceResult> {
    const stored = await this.repository.get(id);
    if (!stored) return { ok: false, reason: `There is no promotion ${id}.` };
    if (!this.policy.environments.has(stored.promotion.environment)) {
      return { ok: false, reason: `Environment ${stored.promotion.environment} is no longer configured; this promotion cannot change.` };
    }
    const env = this.environment(stored.promotion.environment);
    const membership = await approverGroupsOf(this.directory, policyFor(stored.promotion, env), user);
    const click: Click = { user, memberOf: membership.memberOf, membershipUnknown: membership.unknown };
    return this.finish(await this.repository.transition(id, (p) => decide(p, click, env)));
  }

  private async finish(outcome: Outcome): Promise<ServiceResult> {
    if (outcome.kind !== 'accept') return { ok: false, reason: outcome.reason };
    const p = outcome.promotion;
    const log = this.log.child({ promotion: p.id });
    log.info({ state: p.state, app: p.app, version: p.version, environment: p.environment }, 'promotion changed');
    let note = outcome.firstNote; // the commit appended the notes to the promotion's list from here on
    for (const effect of outcome.effects) {
      if (effect.type === 'deploy') await this.jobs.deploy(p);
      else if (effect.type === 'render') await this.jobs.render(p.id, effect.at);
      else if (effect.type === 'check-window') await this.jobs.checkWindow(p.id, effect.at);
      else if (effect.type === 'run-gates') await this.jobs.runGates(p, effect.run);
      else await this.jobs.notes(p.id, note++);
    }
    return { ok: true, reply: outcome.reply ?? 'Done.', promotion: p };
  }
}
