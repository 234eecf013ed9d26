import { accept, refuse, unchanged, type Decision, type Effect } from './decision.js';
import { describeApprovers, isAuthorized, unknownApp, unknownEnvironment, type EnvironmentPolicy, type Policy } from './policy.js';
import type { Instant, Promotion } from './promotion.js';
import { lastKnownGood } from './known-good.js';
import { lockedRefusal, lockFor } from './lock.js';
import { escapeMrkdwn } from './slack-text.js';
import type { AppSnapshot } from './request.js';
import { withAdHocFreezes } from './promotion-calendar.js';

/**
 * A rollback drill rehearses the rollback path of an app in an environment: it deploys
 * the last version known good (the back leg), then the version that ran before (the
 * forward leg), through the environment's executor. It is a promotion of kind `drill`,
 * so it holds the environment's slot like any deployment while it runs.
 */
export type DrillLeg = 'back' | 'forward';

export interface LegTiming {
  startedAt: Instant;
  finishedAt: Instant | null;
}

export interface Drill {
  /** Where the back leg goes: the last version known good, and the promotion that deployed it there. */
  target: string;
  targetPromotion: string;
  /** The promotion that deployed the version the drill returns to (the drill's `version`). */
  currentPromotion: string;
  leg: DrillLeg;
  back: LegTiming;
  forward: LegTiming | null;
  /** Started by the environment's `rehearsal.every` schedule rather than by a person. */
  scheduled: boolean;
}

/** `interrupted`: a real rollback was asked for during the drill, which stopped after its leg to let it run. */
export type DrillOutcome = 'succeeded' | 'failed' | 'forward_failed' | 'interrupted';

/** One drill as remembered per app and environment once it ended: what the `rollback-rehearsed` gate reads. */
export interface DrillRecord {
  id: string;
  app: string;
  environment: string;
  requester: string;
  startedAt: Instant;
  finishedAt: Instant;
  /** The version live before the drill, and the version known good it went back to. */
  current: string;
  target: string;
  backMs: number | null;
  forwardMs: number | null;
  outcome: DrillOutcome;
  error: string | null;
  /** What runs once the drill ended, as the ledger says. */
  liveAfter: string;
}

/** The environment's rehearsal settings, as toPolicy derives them from shipgate.yml. */
export interface RehearsalPolicy {
  /** Drills may run here (by default everywhere but the end of a promotion path, that is production). */
  allowed: boolean;
  /** A drill is started by Shipgate once per this period, in the environment's windows; null: never. */
  everyMs: number | null;
}

export interface DrillAsk {
  id: string;
  app: string;
  environment: string;
  requester: string;
  requesterMemberOf: readonly string[];
  membershipUnknown?: string | null;
  /** Started by the schedule: no person to authorize, and at most once per period. */
  scheduled?: boolean;
  now: Instant;
}

/** The version a drill deploys in its current leg. */
export function legVersion(p: Pick<Promotion, 'version' | 'drill'>): string {
  return p.drill?.leg === 'back' ? p.drill.target : p.version;
}

/** Whether drills may run in this environment, and how often they are scheduled; a policy that says nothing allows none. */
export function rehearsalOf(env: EnvironmentPolicy): RehearsalPolicy {
  return env.rehearsal ?? { allowed: false, everyMs: null };
}

function seconds(ms: number | null): string {
  return ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`;
}

/** "rolled back in 12.3 s, rolled forward in 10.1 s": the drill's timings as far as they go. */
export function drillTimings(d: Drill): string {
  const back = d.back.finishedAt === null ? 'rolling back…' : `back to ${d.target} in ${seconds(d.back.finishedAt - d.back.startedAt)}`;
  if (!d.forward) return back;
  const forward = d.forward.finishedAt === null ? 'rolling forward…' : `forward in ${seconds(d.forward.finishedAt - d.forward.startedAt)}`;
  return `${back}, ${forward}`;
}

/** The refusal when this environment is the end of a path and does not allow drills. */
function notAllowed(app: string, environment: string): string {
  return `Rollback drills are off in ${environment}: it is where releases end, and a drill deploys there twice. To rehearse ${app} there, set \`rehearsal: { allow: true }\` on ${environment} in shipgate.yml; or rehearse in an environment before it.`;
}

/**
 * `/promote rehearse rollback APP ENV` (or the environment's schedule): go back to the
 * last version known good and forward again, under the environment's rollback
 * approvers. Nothing else may hold the environment: a drill never runs beside a
 * promotion, a rollback, a lock or a drift, and only inside the release window.
 */
export function decideDrillRequest(ask: DrillAsk, policy: Policy, snapshot: AppSnapshot): Decision {
  const lastDrill = snapshot.lastDrill ?? null;
  const unknown = unknownApp(policy, ask.app) ?? unknownEnvironment(policy, ask.environment);
  if (unknown) return refuse(unknown);
  const env = policy.environments.get(ask.environment)!;
  const rehearsal = rehearsalOf(env);
  if (!rehearsal.allowed) return refuse(notAllowed(ask.app, ask.environment));
  if (ask.scheduled) {
    if (rehearsal.everyMs === null) return unchanged(`${ask.environment} has no rehearsal schedule.`);
    if (lastDrill && ask.now - lastDrill.startedAt < rehearsal.everyMs) return unchanged(`${ask.app} in ${ask.environment} was rehearsed at ${new Date(lastDrill.startedAt).toISOString()}; the next drill is not due yet.`);
  } else if (!isAuthorized(env.rollback, ask.requester, ask.requesterMemberOf)) {
    const reason = ask.membershipUnknown ?? `Only those who may roll back ${ask.environment} can rehearse it: ${describeApprovers(env.rollback)}.`;
    return refuse(reason, { type: 'drill_refused', actor: ask.requester, detail: { reason } });
  }
  const lock = lockFor({ kind: 'promote', app: ask.app, requester: ask.requester }, snapshot.locks ?? []);
  if (lock) return refuse(lockedRefusal(lock));
  // Ad-hoc freezes close the window for a drill as the calendar file's do.
  const calendar = withAdHocFreezes(env.calendar, env.name, snapshot.freezes ?? [])?.decide(ask.now);
  if (calendar && !calendar.open) return refuse(`${ask.environment} is closed (${calendar.reason}); a drill deploys, so it runs only inside the release window. Ask again when it opens (\`/promote calendar ${ask.environment}\`).`);
  const holder = snapshot.inFlight ?? (snapshot.queued?.state === 'queued' ? snapshot.queued : null);
  if (holder) {
    return refuse(`${ask.app} in ${ask.environment} is busy (${holder.id}: ${holder.kind === 'drill' ? 'a drill' : holder.version}, ${holder.state.replace('_', ' ')}). A drill never runs beside another deployment: ask again once it is done.`);
  }
  const live = snapshot.current.get(ask.environment);
  if (!live) return refuse(`${ask.app} has never been deployed to ${ask.environment}; there is nothing to rehearse.`);
  const drift = snapshot.drifts?.get(ask.environment);
  if (drift) return refuse(`${ask.app} in ${ask.environment} runs ${drift.running}, not ${live.version} that Shipgate deployed there (drift). Settle the drift before rehearsing a rollback.`);
  const target = lastKnownGood(snapshot.history, snapshot.bad, [live.version]);
  if (!target) return refuse(`${ask.app} has no earlier version known good in ${ask.environment} (it runs ${live.version}); there is nothing to roll back to, so nothing to rehearse.`);

  const drill: Drill = { target: target.version, targetPromotion: target.promotionId, currentPromotion: live.promotionId, leg: 'back', back: { startedAt: ask.now, finishedAt: null }, forward: null, scheduled: ask.scheduled ?? false };
  const p: Promotion = {
    id: ask.id,
    kind: 'drill',
    app: ask.app,
    version: live.version,
    environment: ask.environment,
    from: null,
    previousVersion: live.version,
    rollbackOf: null,
    requester: ask.requester,
    reason: ask.scheduled ? 'scheduled rollback drill' : 'rollback drill',
    requestedAt: ask.now,
    state: 'deploying',
    approvals: [],
    ending: null,
    deployment: { startedAt: ask.now, finishedAt: null, error: null },
    message: { channel: env.channel, ts: null },
    configHash: policy.configHash,
    emergency: false,
    scheduledFor: null,
    gates: null,
    drill,
  };
  const route = `${live.version} → ${target.version} → ${live.version}`;
  return accept(
    p,
    [{ type: 'drill_started', actor: ask.requester, detail: { current: live.version, target: target.version, scheduled: drill.scheduled, calendar: calendar?.rule ?? null } }],
    [{ type: 'render' }, { type: 'deploy' }, { type: 'note', text: `Rehearsing the rollback of ${p.app} in ${p.environment}: ${route}. Rolling back to ${target.version}…` }],
    { reply: `Rehearsing the rollback of ${p.app} in ${p.environment} (${p.id}): ${route}. Progress and timings in the thread.` },
  );
}

function record(p: Promotion, d: Drill, outcome: DrillOutcome, now: Instant, liveAfter: string, error: string | null): DrillRecord {
  const took = (leg: LegTiming | null) => (leg?.finishedAt != null ? leg.finishedAt - leg.startedAt : null);
  return { id: p.id, app: p.app, environment: p.environment, requester: p.requester, startedAt: p.requestedAt, finishedAt: now, current: p.version, target: d.target, backMs: took(d.back), forwardMs: took(d.forward), outcome, error, liveAfter };
}

function releaseQueued(p: Promotion): Effect[] {
  return p.queuedRollback ? [{ type: 'start-queued', promotionId: p.queuedRollback }] : [];
}

/**
 * A leg was deployed. The ledger follows each leg (what runs is what the store says),
 * naming the promotion that first deployed the version, so its **Roll back** button
 * keeps working; nothing is marked bad by a rehearsal. After the back leg the drill
 * goes forward, unless a real rollback is queued: then it stops there and lets it run.
 */
export function decideDrillLegSucceeded(p: Promotion, now: Instant): Decision {
  const d = p.drill;
  if (p.state !== 'deploying' || !d) return unchanged(`Promotion ${p.id} is ${p.state}, not a drill deploying.`);
  if (d.leg === 'back') {
    const back = { ...d.back, finishedAt: now };
    const ledger = { app: p.app, environment: p.environment, version: d.target, promotionId: d.targetPromotion, at: now, markBad: [] };
    const tookBack = seconds(now - d.back.startedAt);
    if (p.queuedRollback) {
      const done: Drill = { ...d, back };
      const next: Promotion = { ...p, state: 'cancelled', drill: done, ending: { user: 'shipgate', at: now, reason: `interrupted by rollback ${p.queuedRollback}` }, deployment: { ...p.deployment, startedAt: p.deployment?.startedAt ?? now, finishedAt: now, error: null } };
      return accept(
        next,
        [{ type: 'drill_interrupted', actor: 'shipgate', detail: { rollback: p.queuedRollback, left_on: d.target, back_ms: now - d.back.startedAt } }],
        [{ type: 'render' }, { type: 'note', text: `Rolled back to ${d.target} in ${tookBack}. A rollback (${p.queuedRollback}) was asked for during the drill: the drill stops here, with ${p.environment} on ${d.target}, and the rollback runs now.` }, ...releaseQueued(p)],
        { ledger, drill: record(p, done, 'interrupted', now, d.target, null) },
      );
    }
    const forward: Drill = { ...d, back, leg: 'forward', forward: { startedAt: now, finishedAt: null } };
    return accept(
      { ...p, drill: forward, deployment: { startedAt: now, finishedAt: null, error: null } },
      [{ type: 'drill_rolled_back', actor: 'shipgate', detail: { version: d.target, back_ms: now - d.back.startedAt } }],
      [{ type: 'render' }, { type: 'deploy' }, { type: 'note', text: `Rolled back to ${d.target} in ${tookBack}. Rolling forward to ${p.version}…` }],
      { ledger },
    );
  }
  const done: Drill = { ...d, forward: { startedAt: d.forward?.startedAt ?? now, finishedAt: now } };
  const next: Promotion = { ...p, state: 'deployed', drill: done, deployment: { ...p.deployment, startedAt: p.deployment?.startedAt ?? now, finishedAt: now, error: null } };
  const rec = record(p, done, 'succeeded', now, p.version, null);
  return accept(
    next,
    [{ type: 'drill_succeeded', actor: 'shipgate', detail: { current: p.version, target: d.target, back_ms: rec.backMs, forward_ms: rec.forwardMs } }],
    [{ type: 'render' }, { type: 'note', text: `:white_check_mark: Drill passed: ${drillTimings(done)}. ${p.environment} runs ${p.version} again.` }, ...releaseQueued(p)],
    { ledger: { app: p.app, environment: p.environment, version: p.version, promotionId: d.currentPromotion, at: now, markBad: [] }, drill: rec },
  );
}

/**
 * A leg failed. Back leg: the environment still runs what it ran, and the rollback path
 * is broken. Forward leg: the environment is left on the version known good, which the
 * ledger already says, and that is said loudly.
 */
export function decideDrillLegFailed(p: Promotion, error: string, now: Instant): Decision {
  const d = p.drill;
  if (p.state !== 'deploying' || !d) return unchanged(`Promotion ${p.id} is ${p.state}, not a drill deploying.`);
  const deployment = { ...p.deployment, startedAt: p.deployment?.startedAt ?? now, finishedAt: now, error };
  if (d.leg === 'back') {
    const done: Drill = { ...d, back: { ...d.back, finishedAt: now } };
    return accept(
      { ...p, state: 'failed', drill: done, deployment },
      [{ type: 'drill_failed', actor: 'shipgate', detail: { leg: 'back', target: d.target, error } }],
      [{ type: 'render' }, { type: 'note', text: `:x: Drill failed: the rollback to ${d.target} did not go through (${escapeMrkdwn(error)}). ${p.environment} still runs ${p.version}. The rollback path of ${p.app} is broken here: fix it before you need it.` }, ...releaseQueued(p)],
      { drill: record(p, done, 'failed', now, p.version, error) },
    );
  }
  const done: Drill = { ...d, forward: { startedAt: d.forward?.startedAt ?? now, finishedAt: now } };
  return accept(
    { ...p, state: 'failed', drill: done, deployment },
    [{ type: 'drill_forward_failed', actor: 'shipgate', detail: { left_on: d.target, not_restored: p.version, error } }],
    [
      { type: 'render' },
      {
        type: 'note',
        text: `:rotating_light: <!here> Roll-forward failed: *${p.app} in ${p.environment} is left on ${d.target}*, not ${p.version} (${escapeMrkdwn(error)}). The rollback itself worked. To bring ${p.version} back, promote it again: \`/promote ${p.app} ${p.version} to ${p.environment}\`.`,
      },
      ...releaseQueued(p),
    ],
    { drill: record(p, done, 'forward_failed', now, d.target, error) },
  );
}

/** The last drill of an app in an environment that passed, or null: what the `rollback-rehearsed` gate asks. */
export function lastPassed(drills: readonly DrillRecord[]): DrillRecord | null {
  return drills.find((r) => r.outcome === 'succeeded') ?? null;
}
