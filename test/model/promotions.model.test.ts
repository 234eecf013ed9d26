/**
 * The invariants are the product. This test lets fast-check write the incident
 * sequences: random requests, approvals, rejections, cancels, gate results, alerts,
 * rollbacks, clock jumps, worker restarts, failing deploy targets and duplicate
 * deliveries, run against the real service, real BullMQ workers and real Redis. After
 * every step, once the queues are quiet, it checks:
 *
 * - no deployment of a version that was not live in `from` at deploy start;
 * - no deployment of a version marked bad in its environment (nothing here uses --force-bad);
 * - at most one deployment call per promotion (retries reuse its Idempotency-Key);
 * - a rollback asked for by an authorized person is never refused while something waits;
 * - every promotion ends in a final state or waits on a person or a window (with its job);
 * - at most one promotion holds an environment, and the ledger agrees with the target;
 * - no deployment starts in a locked environment except a rollback or one the lock's
 *   owner asked for, and nothing stays held back by a lock that was lifted;
 * - no promotion starts deploying during an ad-hoc freeze unless it is a rollback, an
 *   emergency, or asked for by someone on the freeze's break-glass list; a rollback by an
 *   authorized person is never refused during one;
 * - nobody approves their own promotion through a delegation, and one person counts
 *   once (approving in person or through a delegate); staging needs a quorum from QA
 *   and from the lead (all_of), where the lead is in both groups;
 * - a reminder is sent at most once per wait;
 * - a rollback drill deploys only while it holds the environment's slot, and nothing
 *   else deploys there meanwhile (each leg is one call with its own Idempotency-Key);
 * - the audit chains verify.
 *
 * Steps can also run at once (a rollback while a slow deployment runs), so queued
 * rollbacks and superseded promotions come up too.
 *
 * SHIPGATE_MODEL_RUNS and SHIPGATE_MODEL_SEED widen a run or replay a failure (the seed
 * and the failing sequence are printed when a property fails).
 */
import fc from 'fast-check';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPolicy } from '../../src/config/to-policy.js';
import { CalendarSource } from '../../src/config/load-calendars.js';
import { isAuthorized, type Policy } from '../../src/domain/policy.js';
import { lastKnownGood } from '../../src/domain/known-good.js';
import { isActive, isFinal, type Promotion } from '../../src/domain/promotion.js';
import { QUEUE } from '../../src/queue/queues.js';
import { AlertService } from '../../src/service/alert-service.js';
import type { Directory } from '../../src/service/ports.js';
import { PromotionService, type ServiceResult } from '../../src/service/promotion-service.js';
import { AlertStore } from '../../src/store/alert-store.js';
import { AuditWriter } from '../../src/store/audit-writer.js';
import { AuditArchive } from '../../src/store/audit-archive.js';
import { AuditLog } from '../../src/store/audit-log.js';
import { Retention } from '../../src/store/retention.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockStore } from '../../src/store/lock-store.js';
import { LockService } from '../../src/service/lock-service.js';
import { lockFor, type Lock } from '../../src/domain/lock.js';
import { FreezeService } from '../../src/service/freeze-service.js';
import { inForce, type AdHocFreeze } from '../../src/domain/ad-hoc-freeze.js';
import { mayDeployThrough } from '../../src/domain/promotion-calendar.js';
import type { Running } from '../../src/runtime.js';
import { countsFor } from '../../src/domain/approval-tally.js';
import { DelegationService } from '../../src/service/delegation-service.js';
import { DelegationStore } from '../../src/store/delegation-store.js';
import { listen } from '../support/http-server.js';
import { PEOPLE, standardConfig, startShipgate, testAuditKey, USERGROUPS, type Harness } from '../support/start-shipgate.js';

const RUNS = Number(process.env.SHIPGATE_MODEL_RUNS ?? 8);
const SEED = process.env.SHIPGATE_MODEL_SEED === undefined ? undefined : Number(process.env.SHIPGATE_MODEL_SEED);
const APP = 'web';
const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
type Env = (typeof ENVIRONMENTS)[number];
const FROM: Record<Env, Env | null> = { development: null, staging: 'development', production: 'staging' };
const EVERYONE = Object.values(PEOPLE);
/** Production is open on weekdays, 09:00–17:00 UTC; the clock starts on a Tuesday morning. */
const PRODUCTION_CALENDAR = 'timezone: UTC\nwindows:\n  - days: [mon, tue, wed, thu, fri]\n    start: "09:00"\n    end: "17:00"\n';
const START = Date.parse('2026-12-01T09:30:00Z');

/**
 * Staging runs a smoke gate the test can turn red and needs one approval from QA and one
 * from the lead (all_of); production rolls back on a critical alert soon after a
 * deployment, and reminds its approvers, then escalates, while a promotion waits.
 */
const modelConfig = (gateUrl: string) => (deployUrl: string, prefix: string) =>
  standardConfig(deployUrl, prefix, `gates:\n  smoke: { type: http-json, url: "${gateUrl}/smoke", expect: { path: ok, equals: true }, timeout: 2s }\n`)
    .replace('    from: development\n', '    from: development\n    gates: [smoke]\n')
    .replace('approvals: { required: 1, approvers: [S0QA, U0LEAD] }', 'approvals: { all_of: [{ group: S0QA, required: 1, name: QA }, { group: U0LEAD, required: 1, name: Lead }] }')
    .replace('self_approval: false, expire_after: 4h }', 'self_approval: false, expire_after: 4h, remind_after: 2h, escalate_after: 6h, escalate_to: S0ONCALL }')
    .replace('    rollback: { approvals: { required: 1, approvers: [S0ONCALL] } }', '    rollback: { approvals: { required: 1, approvers: [S0ONCALL] }, auto_on_alert: { severity: critical, within: 1h } }\n    calendar: production')
    .replace('queue: {', 'queue: { shutdown_grace: 300ms, sweep_every: 2s,')
    .replace('    calendar: production', '    calendar: production\n    rehearsal: { allow: true }');

/** Group membership as the fake Slack answers it, with the lead also in QA (so all_of must place him). */
const GROUPS: Record<string, string[]> = { ...USERGROUPS, S0QA: [...USERGROUPS.S0QA, PEOPLE.lead] };
const directory: Directory = {
  async membersOf(group) {
    return new Set(GROUPS[group] ?? []);
  },
};
const DAY = 24 * 3600_000;

interface World {
  h: Harness;
  policy: Policy;
  service: PromotionService;
  alerts: AlertService;
  deployQueue: Queue;
  gatesQueue: Queue;
  worker: Running;
  gate: { ok: boolean };
  violations: string[];
  alertCount: number;
  locks: LockService;
  /** The archive finished promotions and old audit entries move to, and the audit log read across it and Redis. */
  archive: AuditArchive;
  audit: AuditLog;
  freezes: FreezeService;
  delegations: DelegationService;
  /** At the start of the current step: the locks and ad-hoc freezes in force, and the promotions whose deployment had started. */
  before: { locks: Lock[]; freezes: AdHocFreeze[]; started: Set<string> };
}

type Model = Record<string, never>;

/** One step of an incident: it acts, lets the system settle, then checks every invariant. */
abstract class Step implements fc.AsyncCommand<Model, World> {
  abstract act(w: World): Promise<void>;
  abstract toString(): string;
  check(): boolean {
    return true;
  }
  async run(_model: Model, w: World): Promise<void> {
    w.before = { locks: await w.locks.all(), freezes: await w.freezes.all(), started: new Set((await w.h.shipgate.store.recent(200)).filter((p) => p.deployment !== null).map((p) => p.id)) };
    await this.act(w);
    await settle(w);
    await checkInvariants(w);
  }
}

async function pending(w: World): Promise<Promotion[]> {
  return w.h.shipgate.store.active();
}

function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

async function twice(duplicate: boolean, call: () => Promise<ServiceResult>): Promise<ServiceResult[]> {
  // A duplicate delivery: Slack's retry, or the same click reaching two replicas at once.
  return duplicate ? Promise.all([call(), call()]) : [await call()];
}

class Request extends Step {
  constructor(
    readonly env: Env,
    readonly versionIndex: number,
    readonly useFrom: boolean,
    readonly user: string,
  ) {
    super();
  }
  async act(w: World) {
    const from = FROM[this.env];
    const live = from && this.useFrom ? await w.h.shipgate.live(APP, from) : null;
    const version = live ?? `1.${this.versionIndex % 4}.0`;
    await w.service.request({ app: APP, version, environment: this.env, reason: 'model', requester: this.user });
  }
  toString() {
    return `request(${this.env}, ${this.useFrom ? 'from' : this.versionIndex}, ${this.user})`;
  }
}

class Click extends Step {
  constructor(
    readonly action: 'approve' | 'reject' | 'cancel' | 'rerunGates' | 'rollbackButton',
    readonly index: number,
    readonly user: string,
    readonly duplicate: boolean,
  ) {
    super();
  }
  async act(w: World) {
    const candidates =
      this.action === 'rollbackButton'
        ? (await w.h.shipgate.store.recent(50)).filter((p) => p.state === 'deployed')
        : (await pending(w)).filter((p) => p.state !== 'deploying');
    const target = pick(candidates, this.index);
    if (!target) return;
    const call = () => (this.action === 'rollbackButton' ? w.service.rollbackDeployment(target.id, this.user) : w.service[this.action](target.id, this.user));
    await twice(this.duplicate, call);
  }
  toString() {
    return `${this.action}(#${this.index}, ${this.user}${this.duplicate ? ', twice' : ''})`;
  }
}

/** An approver the promotion's policy names (never its requester) approves it: the path moving forward. */
class ApproveAsApprover extends Step {
  constructor(
    readonly index: number,
    readonly which: number,
    readonly duplicate: boolean,
  ) {
    super();
  }
  async act(w: World) {
    const target = pick((await pending(w)).filter((p) => ['awaiting_approval', 'checking', 'queued'].includes(p.state)), this.index);
    if (!target) return;
    const env = w.policy.environments.get(target.environment)!;
    const policy = target.kind === 'rollback' ? env.rollback : env.approvals;
    const people = policy.approvers.flatMap((a) => (a.startsWith('S') ? (GROUPS[a] ?? []) : [a])).filter((u) => u !== target.requester);
    const approver = pick(people, this.which);
    if (approver) await twice(this.duplicate, () => w.service.approve(target.id, approver));
  }
  toString() {
    return `approve-as-approver(#${this.index}, ${this.which}${this.duplicate ? ', twice' : ''})`;
  }
}

class Rollback extends Step {
  constructor(
    readonly env: Exclude<Env, 'development'>,
    readonly user: string,
    readonly duplicate: boolean,
  ) {
    super();
  }
  async act(w: World) {
    const { store } = w.h.shipgate;
    const policy = w.policy.environments.get(this.env)!.rollback;
    const groups = Object.entries(USERGROUPS as Record<string, string[]>).filter(([, members]) => members.includes(this.user)).map(([g]) => g);
    const live = await store.current(APP, this.env);
    const knownGood = live ? lastKnownGood(await store.history(APP, this.env), await store.bad(APP, this.env), [live.version]) : null;
    const results = await twice(this.duplicate, () => w.service.rollback({ app: APP, environment: this.env, version: null, reason: 'model', requester: this.user }));
    if (isAuthorized(policy, this.user, groups) && knownGood) {
      for (const r of results) if (!r.ok && r.kind === 'refuse') w.violations.push(`a rollback of ${this.env} by ${this.user} was refused: ${r.reason}`);
    }
  }
  toString() {
    return `rollback(${this.env}, ${this.user}${this.duplicate ? ', twice' : ''})`;
  }
}

/** `/promote rehearse rollback web ENV`, by anyone or by one of the environment's rollback approvers. */
class Rehearse extends Step {
  constructor(
    readonly env: Exclude<Env, 'development'>,
    /** A person, or the index of one of the environment's rollback approvers. */
    readonly who: string | number,
  ) {
    super();
  }
  async act(w: World) {
    const user = typeof this.who === 'string' ? this.who : pick(approversOf(w.policy.environments.get(this.env)!.rollback.approvers), this.who);
    if (user) await w.service.rehearse({ app: APP, environment: this.env, requester: user });
  }
  toString() {
    return `rehearse(${this.env}, ${typeof this.who === 'string' ? this.who : `rollback approver #${this.who}`})`;
  }
}

/** The people a list of approvers names, groups expanded; everyone when it names nobody. */
function approversOf(approvers: readonly string[]): string[] {
  if (approvers.length === 0) return EVERYONE;
  return approvers.flatMap((a) => (a.startsWith('S') ? (GROUPS[a] ?? []) : [a]));
}

/** Anyone may try to delegate; only approvers succeed, for the environments they approve. */
class Delegate extends Step {
  constructor(
    readonly from: string,
    readonly to: string,
    readonly days: number,
    readonly env: Env | null,
  ) {
    super();
  }
  async act(w: World) {
    await w.delegations.delegate(this.from, this.to, w.h.shipgate.clock.now() + this.days * DAY, this.env ? [this.env] : []);
  }
  toString() {
    return `delegate(${this.from} → ${this.to}, ${this.days}d${this.env ? `, ${this.env}` : ''})`;
  }
}

class Undelegate extends Step {
  constructor(readonly index: number) {
    super();
  }
  async act(w: World) {
    const d = pick(await w.delegations.inForce(), this.index);
    if (d) await w.delegations.undelegate(d.delegator, d.delegate);
  }
  toString() {
    return `undelegate(#${this.index})`;
  }
}

/** Someone holding a delegation for a waiting promotion's environment approves it; their own promotions among them. */
class ApproveAsDelegate extends Step {
  constructor(
    readonly index: number,
    readonly which: number,
    readonly duplicate: boolean,
  ) {
    super();
  }
  async act(w: World) {
    const target = pick((await pending(w)).filter((p) => ['awaiting_approval', 'checking', 'queued'].includes(p.state)), this.index);
    if (!target) return;
    const held = (await w.delegations.inForce()).filter((d) => d.environments.includes(target.environment));
    const delegate = pick(held, this.which)?.delegate;
    if (!delegate) return;
    const results = await twice(this.duplicate, () => w.service.approve(target.id, delegate));
    const env = w.policy.environments.get(target.environment)!;
    const ownRight = isAuthorized(target.kind === 'rollback' ? env.rollback : env.approvals, delegate, Object.keys(GROUPS).filter((g) => GROUPS[g]!.includes(delegate)));
    if (delegate === target.requester && !ownRight && results.some((r) => r.ok)) w.violations.push(`${delegate} approved their own promotion ${target.id} through a delegation`);
  }
  toString() {
    return `approve-as-delegate(#${this.index}, ${this.which}${this.duplicate ? ', twice' : ''})`;
  }
}

/** Stop-the-line: anyone may try; only the environment's approvers succeed. */
class LockStep extends Step {
  constructor(
    readonly verb: 'lock' | 'unlock',
    readonly env: Env | 'of-waiting',
    readonly wholeEnvironment: boolean,
    /** A person, or the index of one of the environment's approvers. */
    readonly who: string | number,
  ) {
    super();
  }
  async act(w: World) {
    const app = this.wholeEnvironment ? null : APP;
    // The environment of a promotion that waits, so that the lock meets it in flight.
    const env = this.env === 'of-waiting' ? pick((await pending(w)).filter((p) => p.state !== 'deploying' && p.state !== 'queued'), 0)?.environment : this.env;
    if (!env) return;
    const user = typeof this.who === 'string' ? this.who : pick(approversOf(w.policy.environments.get(env)!.approvals.approvers), this.who);
    if (!user) return;
    await (this.verb === 'lock' ? w.locks.lock(env, app, user, 'model') : w.locks.unlock(env, app, user));
  }
  toString() {
    return `${this.verb}(${this.env}${this.wholeEnvironment ? '' : ` ${APP}`}, ${typeof this.who === 'string' ? this.who : `approver #${this.who}`})`;
  }
}

/** An ad-hoc freeze: anyone may try; only the environment's approvers succeed; some name on-call as break-glass. */
class FreezeStep extends Step {
  constructor(
    readonly verb: 'freeze' | 'unfreeze',
    readonly env: Env | 'of-waiting',
    readonly minutes: number,
    readonly breakGlass: boolean,
    /** A person, or the index of one of the environment's approvers. */
    readonly who: string | number,
  ) {
    super();
  }
  async act(w: World) {
    const env = this.env === 'of-waiting' ? pick((await pending(w)).filter((p) => p.state !== 'deploying' && p.state !== 'queued'), 0)?.environment : this.env;
    if (!env) return;
    const user = typeof this.who === 'string' ? this.who : pick(approversOf(w.policy.environments.get(env)!.approvals.approvers), this.who);
    if (!user) return;
    if (this.verb === 'unfreeze') return void (await w.freezes.unfreeze(env, user));
    await w.freezes.freeze({ environment: env, user, durationMs: this.minutes * 60_000, allow: this.breakGlass ? ['S0ONCALL'] : [], reason: 'model' });
  }
  toString() {
    const what = this.verb === 'freeze' ? ` for ${this.minutes}m${this.breakGlass ? ' --allow S0ONCALL' : ''}` : '';
    return `${this.verb}(${this.env}${what}, ${typeof this.who === 'string' ? this.who : `approver #${this.who}`})`;
  }
}

/**
 * An approver locks the environment of a promotion that waits, then approvers click:
 * the lock meets it in flight. A lock has no follow-up work, so what holds after it is
 * the step's starting point for the lock invariant.
 */
class LockThenApprove extends Step {
  constructor(
    readonly lock: LockStep,
    readonly approvals: ApproveAsApprover[],
  ) {
    super();
  }
  async act(w: World) {
    await this.lock.act(w);
    w.before = { ...w.before, locks: await w.locks.all() };
    for (const approval of this.approvals) await approval.act(w);
  }
  toString() {
    return `${this.lock.toString()} then ${this.approvals.map((a) => a.toString()).join(', ')}`;
  }
}

/** An approver freezes the environment of a promotion that waits, then approvers click: the freeze meets it in flight. */
class FreezeThenApprove extends Step {
  constructor(
    readonly freeze: FreezeStep,
    readonly approvals: ApproveAsApprover[],
  ) {
    super();
  }
  async act(w: World) {
    await this.freeze.act(w);
    w.before = { ...w.before, freezes: await w.freezes.all() };
    for (const approval of this.approvals) await approval.act(w);
  }
  toString() {
    return `${this.freeze.toString()} then ${this.approvals.map((a) => a.toString()).join(', ')}`;
  }
}

class Alert extends Step {
  constructor(readonly severity: 'critical' | 'warning') {
    super();
  }
  async act(w: World) {
    const n = ++w.alertCount;
    await w.alerts.receive([{ source: 'generic', id: `model-${n}`, status: 'firing', title: `alert ${n}`, severity: this.severity, url: null, app: APP, environment: 'production', startsAt: w.h.shipgate.clock.now(), endsAt: null }]);
  }
  toString() {
    return `alert(${this.severity})`;
  }
}

class ClockJump extends Step {
  constructor(readonly minutes: number) {
    super();
  }
  async act(w: World) {
    w.h.shipgate.clock.advance(this.minutes * 60_000);
    // Time passes: window checks that are now due run now, as they would have in real time.
    const now = w.h.shipgate.clock.now();
    for (const job of await w.deployQueue.getDelayed()) {
      if ((job.name === 'check-window' || job.name === 'remind') && (job.data as { at: number }).at <= now) await job.promote();
    }
  }
  toString() {
    return `clock(+${this.minutes} min)`;
  }
}

/** Archival with a retention of one day: what finished before that leaves Redis for the archive, twice at once. */
class Archive extends Step {
  async act(w: World) {
    const run = () => new Retention(w.h.shipgate.redis, w.h.shipgate.keys, w.archive, 24 * 3600_000, () => w.h.shipgate.clock.now()).run();
    await Promise.all([run(), run()]);
  }
  toString() {
    return 'archive';
  }
}

class DeployTargetFails extends Step {
  constructor(readonly times: number) {
    super();
  }
  async act(w: World) {
    w.h.deployTarget.answerNext(...Array.from({ length: this.times }, () => ({ status: 503 })));
  }
  toString() {
    return `target fails ×${this.times}`;
  }
}

class GateTurns extends Step {
  constructor(readonly ok: boolean) {
    super();
  }
  async act(w: World) {
    w.gate.ok = this.ok;
  }
  toString() {
    return `gate ${this.ok ? 'green' : 'red'}`;
  }
}

/** The next deployment hangs until the executor's timeout, then its retry lands: a long deploy, during which other steps happen. */
class SlowDeploy extends Step {
  async act(w: World) {
    w.h.deployTarget.answerNext('hang');
  }
  toString() {
    return 'next deploy is slow';
  }
}

/**
 * Two steps at once, the second DELAY ms after the first, before anything settles: a
 * rollback while a deployment is running, a click while a gate settles.
 */
class AtOnce extends Step {
  constructor(
    readonly first: Step,
    readonly second: Step,
    readonly delayMs: number,
  ) {
    super();
  }
  async act(w: World) {
    const first = this.first.act(w);
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    await Promise.all([first, this.second.act(w)]);
  }
  toString() {
    return `at once(${this.first.toString()}, +${this.delayMs} ms ${this.second.toString()})`;
  }
}

/** Steps one after the other, within one step: a slow target, then what meets it. */
class Chain extends Step {
  constructor(readonly steps: Step[]) {
    super();
  }
  async act(w: World) {
    for (const step of this.steps) await step.act(w);
  }
  toString() {
    return this.steps.map((s) => s.toString()).join(' then ');
  }
}

class RestartWorker extends Step {
  async act(w: World) {
    // Stopped with a short grace: a job still running is cut off and resumes on the new worker.
    await w.worker.close();
    w.worker = await w.h.shipgate.startWorker();
  }
  toString() {
    return 'restart worker';
  }
}

const user = fc.constantFrom(...EVERYONE);
const rehearse = fc.tuple(fc.constantFrom('staging', 'production') as fc.Arbitrary<'staging' | 'production'>, fc.oneof(fc.nat(3), user)).map(([e, who]) => new Rehearse(e, who));
const rollbackByOnCall = fc.tuple(fc.constantFrom('staging', 'production') as fc.Arbitrary<'staging' | 'production'>, fc.constantFrom(PEOPLE.omar, PEOPLE.olga, PEOPLE.lead), fc.boolean()).map(([e, u, d]) => new Rollback(e, u, d));
const approveAsApprover = fc.tuple(fc.nat(3), fc.nat(3), fc.boolean()).map(([i, w, d]) => new ApproveAsApprover(i, w, d));
const requestFromPath = fc.tuple(fc.constantFrom(...ENVIRONMENTS), fc.nat(7), user).map(([e, v, u]) => new Request(e, v, true, u));
const lockByApprover = fc
  .tuple(fc.constantFrom('lock', 'lock', 'unlock') as fc.Arbitrary<'lock' | 'unlock'>, fc.constantFrom('staging', 'production', 'of-waiting', 'of-waiting') as fc.Arbitrary<Env | 'of-waiting'>, fc.boolean(), fc.nat(3))
  .map(([v, e, all, i]) => new LockStep(v, e, all, i));
const freezeByApprover = fc
  .tuple(fc.constantFrom('freeze', 'freeze', 'unfreeze') as fc.Arbitrary<'freeze' | 'unfreeze'>, fc.constantFrom('staging', 'production', 'of-waiting') as fc.Arbitrary<Env | 'of-waiting'>, fc.constantFrom(30, 240), fc.boolean(), fc.nat(3))
  .map(([v, e, m, b, i]) => new FreezeStep(v, e, m, b, i));
const delegate = fc
  .tuple(fc.constantFrom(PEOPLE.rita, PEOPLE.raj, PEOPLE.lead, PEOPLE.quinn, PEOPLE.omar, PEOPLE.mallory), fc.constantFrom(PEOPLE.alice, PEOPLE.alice, PEOPLE.mallory, PEOPLE.quinn), fc.constantFrom(1, 2, 7), fc.constantFrom(null, 'staging', 'production') as fc.Arbitrary<Env | null>)
  .map(([from, to, days, env]) => new Delegate(from, to, days, env));
const approveAsDelegate = fc.tuple(fc.nat(3), fc.nat(3), fc.boolean()).map(([i, w, d]) => new ApproveAsDelegate(i, w, d));
const commands = fc.commands(
  [
    freezeByApprover,
    freezeByApprover,
    fc.tuple(fc.constantFrom('freeze', 'unfreeze') as fc.Arbitrary<'freeze' | 'unfreeze'>, fc.constantFrom('staging', 'production') as fc.Arbitrary<Env>, user).map(([v, e, u]) => new FreezeStep(v, e, 60, false, u)),
    fc
      .tuple(fc.boolean(), fc.nat(3), fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { minLength: 1, maxLength: 2 }))
      .map(([b, i, clicks]) => new FreezeThenApprove(new FreezeStep('freeze', 'of-waiting', 240, b, i), clicks.map(([t, a]) => new ApproveAsApprover(t, a, false)))),
    delegate,
    approveAsDelegate,
    approveAsDelegate,
    fc.nat(3).map((i) => new Undelegate(i)),
    approveAsApprover,
    approveAsApprover,
    approveAsApprover,
    requestFromPath,
    requestFromPath,
    fc.tuple(fc.constantFrom(...ENVIRONMENTS), fc.nat(7), fc.boolean(), user).map(([e, v, f, u]) => new Request(e, v, f, u)),
    fc.tuple(fc.constantFrom(...ENVIRONMENTS), fc.nat(7), user).map(([e, v, u]) => new Request(e, v, true, u)),
    fc.tuple(fc.nat(5), fc.constantFrom(PEOPLE.lead, PEOPLE.quinn, PEOPLE.rita, PEOPLE.raj, PEOPLE.omar, PEOPLE.olga, PEOPLE.alice), fc.boolean()).map(([i, u, d]) => new Click('approve', i, u, d)),
    fc.tuple(fc.nat(5), user, fc.boolean()).map(([i, u, d]) => new Click('approve', i, u, d)),
    fc.tuple(fc.constantFrom('reject', 'cancel', 'rerunGates', 'rollbackButton') as fc.Arbitrary<'reject' | 'cancel' | 'rerunGates' | 'rollbackButton'>, fc.nat(5), user, fc.boolean()).map(([a, i, u, d]) => new Click(a, i, u, d)),
    fc.tuple(fc.constantFrom('staging', 'production') as fc.Arbitrary<'staging' | 'production'>, user, fc.boolean()).map(([e, u, d]) => new Rollback(e, u, d)),
    fc.tuple(fc.constantFrom('staging', 'production') as fc.Arbitrary<'staging' | 'production'>, fc.constantFrom(PEOPLE.omar, PEOPLE.olga, PEOPLE.lead), fc.boolean()).map(([e, u, d]) => new Rollback(e, u, d)),
    fc.constantFrom('critical', 'warning').map((s) => new Alert(s as 'critical' | 'warning')),
    fc.constantFrom(30, 240, 24 * 60, 3 * 24 * 60).map((m) => new ClockJump(m)),
    fc.constant(new Archive()),
    fc.integer({ min: 1, max: 3 }).map((n) => new DeployTargetFails(n)),
    fc.boolean().map((ok) => new GateTurns(ok)),
    fc.constant(new RestartWorker()),
    // Approvers lock more often than they unlock, so promotions meet a lock while they wait.
    fc.tuple(fc.constantFrom('lock', 'lock', 'unlock') as fc.Arbitrary<'lock' | 'unlock'>, fc.constantFrom(...ENVIRONMENTS), fc.boolean(), fc.nat(3)).map(([v, e, all, i]) => new LockStep(v, e, all, i)),
    lockByApprover,
    fc
      .tuple(fc.boolean(), fc.nat(3), fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { minLength: 1, maxLength: 2 }))
      .map(([all, i, clicks]) => new LockThenApprove(new LockStep('lock', 'of-waiting', all, i), clicks.map(([t, a]) => new ApproveAsApprover(t, a, false)))),
    fc
      .tuple(fc.boolean(), fc.nat(3), fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { minLength: 1, maxLength: 2 }))
      .map(([all, i, clicks]) => new LockThenApprove(new LockStep('lock', 'of-waiting', all, i), clicks.map(([t, a]) => new ApproveAsApprover(t, a, false)))),
    fc.tuple(fc.constantFrom('lock', 'unlock') as fc.Arbitrary<'lock' | 'unlock'>, fc.constantFrom('staging', 'production') as fc.Arbitrary<Env>, fc.boolean(), user).map(([v, e, all, u]) => new LockStep(v, e, all, u)),
    fc.constant(new SlowDeploy()),
    rehearse,
    rehearse,
    // A drill meets a real rollback, a request, an approval or an alert while its legs run.
    fc
      .tuple(rehearse, fc.oneof(rollbackByOnCall, requestFromPath, approveAsApprover, rehearse, fc.constantFrom('critical', 'warning').map((s) => new Alert(s as 'critical' | 'warning'))), fc.constantFrom(0, 100, 400))
      .map(([a, b, delay]) => new AtOnce(a, b, delay)),
    // A drill whose leg is slow meets a real rollback: the rollback queues, the drill stops after that leg.
    fc
      .tuple(fc.tuple(fc.constantFrom('staging', 'production') as fc.Arbitrary<'staging' | 'production'>, fc.nat(3)).map(([e, i]) => new Rehearse(e, i)), rollbackByOnCall, fc.constantFrom(100, 500))
      .map(([a, b, delay]) => new AtOnce(new Chain([new SlowDeploy(), a]), b, delay)),
    fc
      .tuple(
        fc.oneof(approveAsApprover, requestFromPath),
        fc.oneof(
          fc.tuple(fc.constantFrom('staging', 'production') as fc.Arbitrary<'staging' | 'production'>, fc.constantFrom(PEOPLE.omar, PEOPLE.olga, PEOPLE.lead), fc.boolean()).map(([e, u, d]) => new Rollback(e, u, d)),
          approveAsApprover,
          fc.constantFrom('critical', 'warning').map((s) => new Alert(s as 'critical' | 'warning')),
        ),
        fc.constantFrom(0, 200, 800),
      )
      .map(([a, b, delay]) => new AtOnce(a, b, delay)),
  ],
  { maxCommands: 24, size: 'max' },
);

/** Waits until every committed follow-up is queued and every job that is due has run. */
async function settle(w: World): Promise<void> {
  const deadline = Date.now() + 30_000;
  let quietFor = 0;
  while (quietFor < 3) {
    if (Date.now() > deadline) throw new Error('the system did not settle within 30 s');
    const [outbox, deploy, gates, delayed] = await Promise.all([
      w.h.shipgate.redis.xlen(w.h.shipgate.keys.outbox),
      w.deployQueue.getJobCounts('waiting', 'active', 'prioritized'),
      w.gatesQueue.getJobCounts('waiting', 'active', 'delayed', 'waiting-children', 'prioritized'),
      w.deployQueue.getDelayed(),
    ]);
    const busy = outbox + Object.values(deploy).reduce((a, b) => a + b, 0) + Object.values(gates).reduce((a, b) => a + b, 0) + delayed.filter((j) => j.name !== 'check-window' && j.name !== 'remind' && j.name !== 'sweep' && j.name !== 'archive' && j.name !== 'freeze-notices').length;
    quietFor = busy === 0 ? quietFor + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 60));
  }
}

async function checkInvariants(w: World): Promise<void> {
  const { store } = w.h.shipgate;
  const { audit } = w;
  expect(w.violations).toEqual([]);

  // At most one call answered as done per promotion, and every retry is the same call.
  const byKey = new Map<string, typeof w.h.deployTarget.calls>();
  for (const call of w.h.deployTarget.calls) {
    const key = String(call.headers['idempotency-key']);
    byKey.set(key, [...(byKey.get(key) ?? []), call]);
  }
  for (const [key, calls] of byKey) {
    expect(key).toBe(calls[0]!.body.promotion_id);
    expect(calls.filter((c) => c.status === 200).length, `deployments of ${key}`).toBeLessThanOrEqual(1);
    expect(new Set(calls.map((c) => `${c.body.kind} ${c.body.version} ${c.body.environment}`)).size, `calls of ${key}`).toBe(1);
  }

  // Nothing is stuck: a pending promotion waits on a person, or on a window with its job queued.
  const open = await pending(w);
  for (const p of open) {
    expect(['awaiting_approval', 'blocked', 'scheduled'], `${p.id} is ${p.state} with nothing left to move it`).toContain(p.state);
    if (p.state === 'scheduled' && p.scheduledFor !== null) {
      const job = await w.deployQueue.getJob(`window-${p.id}-${p.scheduledFor}`);
      expect(job, `${p.id} is scheduled for ${new Date(p.scheduledFor).toISOString()} with no window check queued`).toBeTruthy();
    }
  }
  for (const env of ENVIRONMENTS) {
    expect(open.filter((p) => p.environment === env && isActive(p.state)).length, `promotions holding ${env}`).toBeLessThanOrEqual(1);
  }
  // A lifted lock leaves nothing behind it: what it held back was checked again when it went.
  const locks = await w.locks.all();
  for (const p of open) {
    if (p.heldBy) expect(lockFor(p, locks.filter((l) => l.environment === p.environment)), `${p.id} is still held back by a lock that was lifted`).not.toBeNull();
  }
  // Nobody approves their own promotion through a delegation; one person counts once; a reminder goes out once per wait.
  for (const p of await store.recent(200)) {
    const env = w.policy.environments.get(p.environment)!;
    const selfApproval = (p.kind === 'rollback' ? env.rollback : env.approvals).selfApproval;
    for (const a of p.approvals) {
      expect(a.onBehalfOf !== undefined && a.user === p.requester, `${p.id}: ${a.user} approved their own promotion on behalf of ${a.onBehalfOf}`).toBe(false);
      if (!selfApproval) expect(countsFor(a), `${p.id}: its requester counts among its approvals`).not.toBe(p.requester);
    }
    const counted = p.approvals.map(countsFor);
    expect(new Set(counted).size, `${p.id}: someone counts twice in ${counted.join(', ')}`).toBe(counted.length);
    const reminded = (p.reminded ?? []).map((r) => `${r.stage}@${r.at}`);
    expect(new Set(reminded).size, `${p.id}: a reminder went out twice`).toBe(reminded.length);
  }
  for (const p of await store.recent(200)) expect(isFinal(p.state) || open.some((o) => o.id === p.id), `${p.id} (${p.state}) is neither final nor indexed as pending`).toBe(true);

  // A drill that ended is remembered, and left its environment on the version its record says (or something later moved it).
  for (const env of ['staging', 'production'] as const) {
    const [last] = await store.drills(APP, env, 1);
    const drills = (await store.recent(200)).filter((p) => p.kind === 'drill' && p.environment === env && isFinal(p.state));
    if (drills.length > 0) expect(last?.id, `the last drill of ${env} is remembered`).toBe(drills[0]!.id);
    const latest = w.h.deployTarget.calls.filter((c) => c.status === 200 && c.body.environment === env).at(-1);
    if (last && latest?.body.drill?.id === last.id) expect(await w.h.shipgate.live(APP, env), `${env} after drill ${last.id}`).toBe(last.liveAfter);
  }

  // The ledger agrees with what the target last deployed in each environment.
  for (const env of ENVIRONMENTS) {
    const landed = w.h.deployTarget.calls.filter((c) => c.status === 200 && c.body.environment === env).at(-1);
    expect(await w.h.shipgate.live(APP, env), `what runs in ${env}`).toBe(landed?.body.version ?? null);
  }

  expect(await audit.verify()).toMatchObject({ ok: true });
}

/** Where every run starts: production runs 1.0.0 (after 0.9.0, so it has a version known good), staging 1.1.0, development 1.2.0. */
async function history(w: World): Promise<void> {
  const walk = async (version: string, env: Env, approvers: string[]) => {
    const asked = await w.service.request({ app: APP, version, environment: env, reason: 'history', requester: PEOPLE.alice });
    if (!asked.ok) throw new Error(asked.reason);
    await settle(w);
    for (const approver of approvers) await w.service.approve(asked.promotion!.id, approver);
    await settle(w);
    expect(await w.h.shipgate.live(APP, env)).toBe(version);
  };
  await walk('0.9.0', 'development', []);
  await walk('0.9.0', 'staging', [PEOPLE.quinn, PEOPLE.lead]);
  await walk('0.9.0', 'production', [PEOPLE.rita, PEOPLE.raj]);
  await walk('1.0.0', 'development', []);
  await walk('1.0.0', 'staging', [PEOPLE.quinn, PEOPLE.lead]);
  await walk('1.0.0', 'production', [PEOPLE.rita, PEOPLE.raj]);
  await walk('1.1.0', 'development', []);
  await walk('1.1.0', 'staging', [PEOPLE.lead, PEOPLE.quinn]);
  await walk('1.2.0', 'development', []);
}

describe('promotions under random incident sequences (model-based, real service and Redis)', () => {
  let gateServer: Awaited<ReturnType<typeof listen>>;
  const gate = { ok: true };
  beforeAll(async () => {
    gateServer = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: gate.ok }));
    });
  });
  afterAll(async () => gateServer.close());

  it('keeps every invariant after every step', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const h = await startShipgate({ noWorker: true, config: modelConfig(gateServer.url), calendars: { 'production.yml': PRODUCTION_CALENDAR } });
        h.shipgate.clock.set(START);
        gate.ok = true;
        const violations: string[] = [];
        const { store, redis, keys } = h.shipgate;
        // The world at deploy start, seen by the target as each call arrives.
        h.deployTarget.inspect = async (call) => {
          const env = call.environment as Env;
          if ((await store.bad(APP, env)).has(call.version)) violations.push(`${call.promotion_id} deployed ${call.version}, marked bad in ${env}`);
          // A deployment that started during this step while a lock held the environment since before it (and still does).
          const p = (await store.get(call.drill?.id ?? call.promotion_id))?.promotion;
          if (p && !world.before.started.has(p.id)) {
            const now = await lockStore.locksOf(env);
            const held = lockFor(p, world.before.locks.filter((l) => l.environment === env && now.some((n) => n.at === l.at && n.owner === l.owner && n.app === l.app)));
            if (held) violations.push(`${p.id} (${p.kind} by ${p.requester}) started deploying ${call.version} to ${env} while <@${held.owner}> held it locked`);
          }
          // A promotion that started during this step while an ad-hoc freeze held the environment since before it (and still does).
          if (p && !world.before.started.has(p.id) && p.kind === 'promote' && !p.emergency) {
            const stored = await store.freezesOf(env);
            const frozen = inForce(world.before.freezes, h.shipgate.clock.now()).find(
              (f) => f.environment === env && stored.some((s) => s.from === f.from && s.owner === f.owner) && !mayDeployThrough(f, p.requester, new Map(Object.entries(USERGROUPS).map(([g, m]) => [g, new Set(m)]))),
            );
            if (frozen) violations.push(`${p.id} (by ${p.requester}) started deploying ${call.version} to ${env} while <@${frozen.owner}> held it frozen`);
          }
          // A drill holds the slot for both legs: only its own calls land while it does, and its calls only while it does.
          const holderId = await redis.hget(keys.inFlight(APP, env), 'id');
          const holder = holderId ? (await store.get(holderId))?.promotion : null;
          if (holder?.kind === 'drill' && call.drill?.id !== holder.id) violations.push(`${call.promotion_id} deployed ${call.version} to ${env} while drill ${holder.id} held it`);
          if (call.drill && holder?.id !== call.drill.id) violations.push(`drill leg ${call.promotion_id} deployed to ${env} while ${holderId ?? 'nothing'} held the slot`);
          const from = FROM[env];
          if (call.kind === 'promote' && from) {
            const live = await store.current(APP, from);
            if (live?.version !== call.version) violations.push(`${call.promotion_id} deployed ${call.version} to ${env} while ${from} ran ${live?.version ?? 'nothing'}`);
          }
        };
        const loaded = h.shipgate.runtimeOptions.config;
        const policy = toPolicy(loaded.config, loaded.hash);
        const calendars = new CalendarSource(loaded.config, h.shipgate.calendarsDir);
        const log = pino({ level: 'silent' });
        const auditWriter = new AuditWriter(keys, testAuditKey(), { scoped: (app, env) => policy.apps.has(app) && policy.environments.has(env) });
        const delegations = new DelegationService(policy, new DelegationStore(redis, keys, () => h.shipgate.clock.now(), auditWriter), directory, h.shipgate.clock, log);
        const service = new PromotionService(policy, calendars, store, directory, h.shipgate.clock, log, delegations);
        const alertStore = new AlertStore(redis, keys, () => h.shipgate.clock.now(), auditWriter);
        const lockStore = new LockStore(redis, keys, () => h.shipgate.clock.now(), auditWriter);
        const alerts = new AlertService(policy, 'C0DEPLOYS', alertStore, store, service, h.shipgate.clock, log);
        const deployQueue = new Queue(QUEUE.deploy, { connection: redis, prefix: h.shipgate.prefix });
        const gatesQueue = new Queue(QUEUE.gates, { connection: redis, prefix: h.shipgate.prefix });
        const locks = new LockService(policy, lockStore, directory, h.shipgate.clock, log);
        const archive = new AuditArchive(mkdtempSync(join(tmpdir(), 'shipgate-model-archive-')));
        const audit = new AuditLog(redis, keys, testAuditKey(), { archive });
        const freezes = new FreezeService(policy, lockStore, directory, h.shipgate.clock, log);
        const world: World = { h, policy, service, alerts, deployQueue, gatesQueue, worker: await h.shipgate.startWorker(), gate, violations, alertCount: 0, locks, freezes, delegations, archive, audit, before: { locks: [], freezes: [], started: new Set() } };
        try {
          await history(world);
          await fc.asyncModelRun(() => ({ model: {} as Model, real: world }), cmds);
        } finally {
          await deployQueue.close();
          await gatesQueue.close();
          await h.close();
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true, verbose: 1 },
    );
  });
});
