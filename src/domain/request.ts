import { accept, refuse, unchanged, type Decision, type SideChange } from './decision.js';
import { describeApprovers, isAuthorized, unknownApp, unknownEnvironment, type EnvironmentPolicy, type Policy } from './policy.js';
import { isPending, type Instant, type Promotion } from './promotion.js';
import { startIfReady } from './deploy-start.js';
import { lastKnownGood, versionsUndone } from './known-good.js';
import { supersede } from './supersede.js';
import { isValidVersion, VERSION_HINT } from './version.js';
import type { OpenDrift } from './drift.js';
import { promotionSettings } from './settings.js';
import { lockedRefusal, lockFor, type Lock } from './lock.js';
import type { AdHocFreeze } from './ad-hoc-freeze.js';
import { reminderEffects } from './reminders.js';
import type { DrillRecord } from './drill.js';

export interface DeployedVersion {
  version: string;
  promotionId: string;
  at: Instant;
}

/** What the store knows about one app, read just before deciding. */
export interface AppSnapshot {
  /** Current version per environment. */
  current: ReadonlyMap<string, DeployedVersion>;
  /** Versions deployed to the target environment, newest first. */
  history: readonly DeployedVersion[];
  /** Versions undone by a rollback in the target environment, with the rollback that undid each. */
  bad: ReadonlyMap<string, string>;
  /** The promotion holding the target's in-flight slot, if any. */
  inFlight: Promotion | null;
  /** A rollback queued behind the deployment that holds the slot, if any. */
  queued: Promotion | null;
  /** Environments where what runs differs from the ledger (an open drift); absent: none known. */
  drifts?: ReadonlyMap<string, OpenDrift>;
  /** Locks on the target environment (whole, or this app in it); absent: none. */
  locks?: readonly Lock[];
  /** The environment's ad-hoc freezes as stored. */
  freezes?: readonly AdHocFreeze[];
  /** The newest drill of the app in the target environment that ended; absent: none known. */
  lastDrill?: DrillRecord | null;
}

/** The refusal for a promotion out of an environment whose running version is not the one Shipgate recorded. */
function driftRefusal(app: string, environment: string, recorded: string, drift: OpenDrift): string {
  return `${app} in ${environment} runs ${drift.running}, not ${recorded} that Shipgate deployed there (drift detected). Nothing is promoted out of ${environment} until that is settled: adopt ${drift.running} (the *Adopt* button on the drift message, for an approver of ${environment}), or roll ${environment} back to ${recorded} (the *Roll back* button, or \`/promote rollback ${app} ${environment} to ${recorded}\`).`;
}

export interface PromotionAsk {
  id: string;
  app: string;
  version: string;
  environment: string;
  reason: string;
  requester: string;
  /** Approver groups of the relevant policy that contain the requester. */
  requesterMemberOf: readonly string[];
  /** Why the requester's group membership could not be checked, if it could not. */
  membershipUnknown?: string | null;
  /** --emergency: bypass the calendar under the environment's emergency policy. */
  emergency?: boolean;
  /** --force-bad: promote a version a rollback undid in this environment; the reason is shown to approvers. */
  forceBad?: boolean;
  /** Started by Shipgate itself on an alert, as the environment's auto_on_alert allows. */
  automatic?: boolean;
  now: Instant;
}

export type RollbackAsk = Omit<PromotionAsk, 'version' | 'emergency' | 'forceBad'> & { version: string | null };

function knownTarget(ask: Pick<PromotionAsk, 'app' | 'environment'>, policy: Policy): string | null {
  return unknownApp(policy, ask.app) ?? unknownEnvironment(policy, ask.environment);
}

function busyRefusal(app: string, environment: string, open: Promotion): string {
  return `${app} already has a promotion in flight to ${environment} (${open.id}: ${open.version}, ${open.state.replace('_', ' ')}). Wait for it to finish or cancel it with \`/promote cancel ${open.id}\`.`;
}

type NewFields = Pick<Promotion, 'kind' | 'from' | 'previousVersion' | 'rollbackOf' | 'lastKnownGood'> & Partial<Pick<Promotion, 'forcedBad' | 'undoes'>>;

function newPromotion(ask: Pick<PromotionAsk, 'id' | 'app' | 'version' | 'environment' | 'reason' | 'requester' | 'now' | 'emergency'>, fields: NewFields, channel: string, configHash: string): Promotion {
  return {
    id: ask.id,
    app: ask.app,
    version: ask.version,
    environment: ask.environment,
    reason: ask.reason,
    requester: ask.requester,
    requestedAt: ask.now,
    state: 'awaiting_approval',
    approvals: [],
    ending: null,
    deployment: null,
    message: { channel, ts: null },
    configHash,
    emergency: ask.emergency ?? false,
    scheduledFor: null,
    gates: null,
    ...fields,
  };
}

/** The target's settings hash and the names that differ from `from`, when the app has settings; never values. */
function withSettings(p: Promotion, policy: Policy): Promotion {
  const all = policy.apps.get(p.app)?.settings;
  if (!all || all.size === 0) return p;
  const settings = promotionSettings(p.from ? (all.get(p.from) ?? null) : null, all.get(p.environment) ?? null, p.from !== null);
  return settings ? { ...p, settings } : p;
}

/** The audit entry of a request records the settings' hash, so the evidence names the values in force without holding them. */
function settingsDetail(p: Promotion): Record<string, unknown> {
  return p.settings ? { settings_hash: p.settings.hash } : {};
}

function requested(p: Promotion, env: EnvironmentPolicy, now: Instant, type: string, others: SideChange[] = []): Decision {
  const asked = {
    type,
    actor: p.requester,
    detail: { version: p.version, from: p.from, previous_version: p.previousVersion, reason: p.reason || null, emergency: p.emergency, automatic: p.requester === AUTOMATIC, forced_bad: p.forcedBad ?? null, ...settingsDetail(p) },
  };
  // Promotions run the environment's gates first; rollbacks go back to a version that already ran there.
  if (p.kind === 'promote' && env.gates.length > 0) {
    const results = Object.fromEntries(env.gates.map((g) => [g.name, { status: 'pending' as const, summary: 'waiting to run', evidenceUrl: null, durationMs: null, configHash: g.configHash }]));
    const checking: Promotion = { ...p, state: 'checking', gates: { run: 1, results } };
    return accept(checking, [asked], [{ type: 'render' }, { type: 'run-gates', run: 1 }, ...reminderEffects(checking, env)], {
      reply: `Asked for ${p.app} ${p.version} to ${p.environment} (${p.id}); running ${env.gates.length} gates.`,
      others,
    });
  }
  const started = startIfReady(p, env, now);
  return accept(started.next, [asked, ...started.audit], [{ type: 'render' }, ...started.effects, ...reminderEffects(started.next, env)], { reply: replyFor(started.next), others });
}

/** The requester of rollbacks Shipgate starts by itself. */
export const AUTOMATIC = 'shipgate';

function replyFor(p: Promotion): string {
  const what = p.kind === 'rollback' ? `the rollback of ${p.app} in ${p.environment} to ${p.version}` : `${p.app} ${p.version} to ${p.environment}`;
  if (p.state === 'deploying') return `Deploying ${what} (${p.id}).`;
  if (p.state === 'scheduled') return `Scheduled ${what}: it deploys when the window opens (${p.id}).`;
  if (p.state === 'queued') return `Queued ${what} (${p.id}): it starts as soon as the deployment in progress ends.`;
  return `Asked for ${what} (${p.id}).`;
}

function badRefusal(ask: PromotionAsk, undoneBy: string): string | null {
  if (!ask.forceBad) {
    return `${ask.app} ${ask.version} was rolled back in ${ask.environment} (by ${undoneBy}) and is marked bad there. To promote it again anyway, say why: \`/promote ${ask.app} ${ask.version} to ${ask.environment} --force-bad reason…\``;
  }
  if (!ask.reason.trim()) return `Say why ${ask.version} may come back to ${ask.environment}: \`/promote ${ask.app} ${ask.version} to ${ask.environment} --force-bad reason…\``;
  return null;
}

/**
 * `/promote APP VERSION to ENV`: the version must be the one running in the environment
 * it comes from. A blocked promotion of the same target is superseded; one that still
 * waits on people, gates or the calendar is not.
 */
export function decidePromotionRequest(ask: PromotionAsk, policy: Policy, snapshot: AppSnapshot): Decision {
  const unknown = knownTarget(ask, policy);
  if (unknown) return refuse(unknown);
  if (!isValidVersion(ask.version)) return refuse(`\`${ask.version}\` is not a version: ${VERSION_HINT}.`);
  const env = { ...policy.environments.get(ask.environment)!, locks: snapshot.locks ?? [], freezes: snapshot.freezes ?? [] };
  // Stop-the-line: nothing new starts while a lock holds, except what its owner asks for.
  const lock = lockFor({ kind: 'promote', app: ask.app, requester: ask.requester }, env.locks);
  if (lock) return refuse(lockedRefusal(lock));
  const live = snapshot.current.get(ask.environment);
  const drifted = snapshot.drifts?.get(ask.environment);
  if (live?.version === ask.version && drifted) {
    return refuse(`${ask.app} ${ask.version} is what Shipgate deployed in ${ask.environment}, but ${drifted.running} runs there (drift). To go back to ${ask.version}: \`/promote rollback ${ask.app} ${ask.environment} to ${ask.version}\`.`);
  }
  if (live?.version === ask.version) return refuse(`${ask.app} ${ask.version} is already live in ${ask.environment}.`);
  if (env.from !== null) {
    const source = snapshot.current.get(env.from);
    if (!source) {
      return refuse(`${ask.app} has never been deployed to ${env.from}. ${ask.environment} takes versions from ${env.from}: promote ${ask.version} to ${env.from} first.`);
    }
    if (source.version !== ask.version) {
      return refuse(
        `${ask.app} ${ask.version} is not what runs in ${env.from} (it runs ${source.version}). ${ask.environment} only takes the version that passed ${env.from}: promote ${ask.version} to ${env.from} first, or ask for ${source.version}.`,
      );
    }
    const fromDrift = snapshot.drifts?.get(env.from);
    if (fromDrift) return refuse(driftRefusal(ask.app, env.from, source.version, fromDrift));
  }
  const undoneBy = snapshot.bad.get(ask.version);
  if (undoneBy !== undefined) {
    const refusal = badRefusal(ask, undoneBy);
    if (refusal) return refuse(refusal);
  } else if (ask.forceBad) {
    return refuse(`${ask.app} ${ask.version} is not marked bad in ${ask.environment}; ask without --force-bad.`);
  }
  if (ask.emergency) {
    if (!env.emergency) {
      return refuse(`${ask.environment} has no emergency policy, so nothing may bypass its calendar. Ask without --emergency, or add \`emergency: { approvals: … }\` to ${ask.environment} in shipgate.yml.`);
    }
    if (!ask.reason.trim()) return refuse('Say why this is an emergency: `/promote APP VERSION to ENV --emergency reason…`');
  }
  const holder = snapshot.inFlight;
  if (holder && holder.state !== 'blocked') return refuse(busyRefusal(ask.app, ask.environment, holder));
  const queued = waitingRollback(snapshot);
  if (queued) {
    return refuse(`A rollback of ${ask.app} in ${ask.environment} to ${queued.version} is queued (${queued.id}) and goes first. Ask again once it is done, or cancel it with \`/promote cancel ${queued.id}\`.`);
  }
  const fallback = lastKnownGood(snapshot.history, snapshot.bad, [ask.version]);
  const fields: NewFields = {
    kind: 'promote',
    from: env.from,
    previousVersion: live?.version ?? null,
    rollbackOf: null,
    lastKnownGood: fallback?.version ?? null,
    forcedBad: undoneBy !== undefined ? ask.reason : null,
  };
  const p = withSettings(newPromotion(ask, fields, env.channel, policy.configHash), policy);
  return requested(p, env, ask.now, 'requested', holder ? [supersede(holder, p, ask.now)] : []);
}

type Target = { ok: true; version: string } | { ok: false; reason: string };

/** Without a version: the last version known good. With one: it must have run here before and not have been undone by a rollback. */
function chooseRollbackTarget(ask: Pick<RollbackAsk, 'app' | 'environment' | 'version'>, live: DeployedVersion, snapshot: AppSnapshot): Target {
  // Something else runs than the ledger says: going back to the ledger's version is a re-deploy of it.
  if (ask.version === live.version && redeploysLedger(ask.environment, live, snapshot)) return { ok: true, version: live.version };
  const good = snapshot.history.filter((h) => h.version !== live.version && !snapshot.bad.has(h.version));
  const goodNames = () => [...new Set(good.map((h) => h.version))].slice(0, 5).join(', ');
  if (ask.version === null) {
    const target = lastKnownGood(snapshot.history, snapshot.bad, [live.version]);
    if (!target) return { ok: false, reason: `${ask.app} has no earlier version known good in ${ask.environment} (it runs ${live.version}); there is nothing to roll back to.` };
    return { ok: true, version: target.version };
  }
  if (ask.version === live.version) return { ok: false, reason: `${ask.app} ${ask.version} is already live in ${ask.environment}.` };
  const undoneBy = snapshot.bad.get(ask.version);
  if (undoneBy !== undefined) {
    return { ok: false, reason: `${ask.app} ${ask.version} was rolled back in ${ask.environment} (by ${undoneBy}), so it is no rollback target.${good.length ? ` Known good there: ${goodNames()}.` : ''}` };
  }
  if (!snapshot.history.some((h) => h.version === ask.version)) {
    return { ok: false, reason: `${ask.app} ${ask.version} never ran in ${ask.environment}, so it cannot be a rollback target.${good.length ? ` Known good there: ${goodNames()}.` : ''}` };
  }
  return { ok: true, version: ask.version };
}

/** True when a rollback to the ledger's own version undoes a drift: what runs is not what the ledger says. */
function redeploysLedger(environment: string, live: DeployedVersion, snapshot: AppSnapshot): boolean {
  const drift = snapshot.drifts?.get(environment);
  return drift !== undefined && drift.running !== live.version;
}

/** The fields of a rollback that depend on what runs now; computed at request time and again when a queued rollback starts. */
function rollbackFields(version: string, live: DeployedVersion, snapshot: AppSnapshot, environment: string): NewFields {
  if (version === live.version && redeploysLedger(environment, live, snapshot)) {
    // Undoes an out-of-band change, not a Shipgate deployment: nothing is marked bad or rolled back.
    const running = snapshot.drifts!.get(environment)!.running;
    return { kind: 'rollback', from: null, previousVersion: running, rollbackOf: null, undoes: [], lastKnownGood: lastKnownGood(snapshot.history, snapshot.bad, [version])?.version ?? null };
  }
  const undoes = versionsUndone(snapshot.history, live.version, version);
  return {
    kind: 'rollback',
    from: null,
    previousVersion: live.version,
    rollbackOf: live.promotionId,
    undoes,
    lastKnownGood: lastKnownGood(snapshot.history, snapshot.bad, [version, ...undoes])?.version ?? null,
  };
}

/**
 * `/promote rollback APP ENV [to VERSION]`, the **Roll back** button, or an alert: a
 * promotion of the last version known good, under the environment's rollback policy.
 * Only people that policy names may ask (Shipgate itself, on an alert, as configured).
 * A rollback takes priority: whatever still waits for the environment is superseded,
 * and a deployment in progress is waited for (the rollback is queued behind it).
 */
export function decideRollbackRequest(ask: RollbackAsk, policy: Policy, snapshot: AppSnapshot): Decision {
  const unknown = knownTarget(ask, policy);
  if (unknown) return refuse(unknown);
  const env = { ...policy.environments.get(ask.environment)!, freezes: snapshot.freezes ?? [] };
  if (!ask.automatic && !isAuthorized(env.rollback, ask.requester, ask.requesterMemberOf)) {
    const reason = ask.membershipUnknown ?? `Only ${describeApprovers(env.rollback)} can roll back ${ask.environment}.`;
    return refuse(reason, { type: 'rollback_refused', actor: ask.requester, detail: { reason } });
  }
  const holder = snapshot.inFlight;
  const live = holder ? (liveBeforeDrill(holder) ?? snapshot.current.get(ask.environment)) : snapshot.current.get(ask.environment);
  if (!live) return refuse(`${ask.app} has never been deployed to ${ask.environment}; there is nothing to roll back.`);
  const target = chooseRollbackTarget(ask, live, snapshot);
  if (!target.ok) return refuse(target.reason);

  const pendingRollback = [holder, snapshot.queued].find((w) => w && isPending(w.state) && w.kind === 'rollback' && w.version === target.version);
  if (pendingRollback) return unchanged(`A rollback of ${ask.app} in ${ask.environment} to ${target.version} is already under way (${pendingRollback.id}).`);

  const p = withSettings(newPromotion({ ...ask, version: target.version }, rollbackFields(target.version, live, snapshot, ask.environment), env.channel, policy.configHash), policy);
  if (holder?.state === 'deploying') {
    const others: SideChange[] = [];
    if (snapshot.queued && isPending(snapshot.queued.state)) others.push(supersede(snapshot.queued, p, ask.now));
    others.push({ next: { ...holder, queuedRollback: p.id }, audit: [], effects: [] });
    const queued: Promotion = { ...p, state: 'queued', ...(holder.kind === 'drill' ? { behindDrill: holder.id } : {}) };
    return accept(
      queued,
      [
        { type: 'rollback_requested', actor: p.requester, detail: { version: p.version, previous_version: p.previousVersion, reason: p.reason || null, automatic: p.requester === AUTOMATIC, ...settingsDetail(p) } },
        { type: 'rollback_queued', actor: 'shipgate', detail: { behind: holder.id } },
      ],
      [{ type: 'render' }, { type: 'note', text: `Queued behind ${holder.id} (${holder.version}, deploying): this rollback starts as soon as that deployment ends.` }],
      { reply: replyFor(queued), others },
    );
  }
  // A newer rollback sets aside what waits: the slot's holder, and a rollback queued behind a deployment that ended.
  const queued = waitingRollback(snapshot);
  const others = [holder, queued].flatMap((w) => (w ? [supersede(w, p, ask.now)] : []));
  return requested(p, env, ask.now, 'rollback_requested', others);
}

/**
 * While a drill runs, the ledger follows its legs; a rollback asked for meanwhile is
 * about the version the drill returns to (what ran before it), not the one it visits.
 */
export function liveBeforeDrill(holder: Promotion): DeployedVersion | null {
  return holder.kind === 'drill' && holder.drill ? { version: holder.version, promotionId: holder.drill.currentPromotion, at: holder.requestedAt } : null;
}

/** A rollback still queued (its deployment ended, or it waits behind one), if any. */
function waitingRollback(snapshot: AppSnapshot): Promotion | null {
  return snapshot.queued?.state === 'queued' ? snapshot.queued : null;
}

/**
 * The deployment a queued rollback waited for has ended: it starts now, against what
 * runs now (the target is chosen again if the one asked for was undone meanwhile), and
 * sets aside whatever took the slot in between.
 */
export function decideQueuedRollbackStart(rollback: Promotion, policy: Policy, snapshot: AppSnapshot, now: Instant): Decision {
  if (rollback.state !== 'queued') return unchanged(`Promotion ${rollback.id} is ${rollback.state}, not queued.`);
  const configured = policy.environments.get(rollback.environment);
  if (!configured) return unchanged(`Environment ${rollback.environment} is no longer configured.`);
  const env = { ...configured, freezes: snapshot.freezes ?? [] };
  const holder = snapshot.inFlight;
  if (holder?.state === 'deploying') return unchanged(`Still waiting for ${holder.id} to finish deploying.`);
  const live = snapshot.current.get(rollback.environment);
  if (live && rollback.behindDrill && live.version === rollback.version && rollback.undoes?.length) {
    // The drill it waited for stopped on this very version: the rollback still runs (a redeploy of what runs), so what it undoes is marked bad.
    const p: Promotion = { ...rollback, state: 'awaiting_approval', lastKnownGood: lastKnownGood(snapshot.history, snapshot.bad, [rollback.version, ...rollback.undoes])?.version ?? null };
    return requested(p, env, now, 'rollback_started', holder ? [supersede(holder, p, now)] : []);
  }
  const asked = snapshot.bad.has(rollback.version) ? null : rollback.version;
  const target = live ? chooseRollbackTarget({ app: rollback.app, environment: rollback.environment, version: asked }, live, snapshot) : null;
  if (!live || !target?.ok) {
    const reason = !live ? 'nothing runs there any more' : (target as { reason: string }).reason;
    return accept(
      { ...rollback, state: 'cancelled', ending: { user: AUTOMATIC, at: now, reason } },
      [{ type: 'rollback_dropped', actor: AUTOMATIC, detail: { reason } }],
      [{ type: 'render' }, { type: 'note', text: `Nothing left to roll back: ${reason}` }],
    );
  }
  // Approvals were given for the version asked for; a new target needs them again.
  const approvals = target.version === rollback.version ? rollback.approvals : [];
  // Its wait for approval (and its reminders) starts now, not when it was queued.
  const p: Promotion = { ...rollback, version: target.version, approvals, ...rollbackFields(target.version, live, snapshot, rollback.environment), state: 'awaiting_approval', approvalWaitSince: now };
  return requested(p, env, now, 'rollback_started', holder ? [supersede(holder, p, now)] : []);
}

/**
 * The **Roll back** button under a deployment (or an alert) works as long as that
 * deployment is still what runs there; it rolls back to the last version known good.
 */
export function rollbackTargetOf(p: Promotion, live: DeployedVersion | null): { ok: true; version: string | null } | { ok: false; reason: string } {
  if (p.state !== 'deployed' || live?.promotionId !== p.id) {
    return {
      ok: false,
      reason: `${p.app} ${p.version} is no longer what runs in ${p.environment}${live ? ` (it runs ${live.version})` : ''}. Use \`/promote rollback ${p.app} ${p.environment}\` to choose a version.`,
    };
  }
  const target = fallbackOf(p);
  if (target === null) return { ok: false, reason: `There is no version known good in ${p.environment} to go back to from ${p.version}.` };
  return { ok: true, version: target };
}

/** Where a rollback of this deployment would go: the last version known good when it was asked for. */
export function fallbackOf(p: Pick<Promotion, 'kind' | 'previousVersion' | 'lastKnownGood'>): string | null {
  if (p.lastKnownGood !== undefined) return p.lastKnownGood;
  // Records written before known-good tracking: a promotion fell back on what it replaced.
  return p.kind === 'promote' ? p.previousVersion : null;
}
