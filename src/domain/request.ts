import { accept, refuse, type Decision } from './decision.js';
import { describeApprovers, isAuthorized, unknownApp, unknownEnvironment, type EnvironmentPolicy, type Policy } from './policy.js';
import type { Instant, Promotion } from './promotion.js';
import { startIfReady } from './deploy-start.js';
import { isValidVersion, VERSION_HINT } from './version.js';

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
  /** The promotion still in flight for this app and environment, if any. */
  inFlight: Pick<Promotion, 'id' | 'version' | 'state'> | null;
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
  /** Started by Shipgate itself on an alert, as the environment's auto_on_alert allows. */
  automatic?: boolean;
  now: Instant;
}

function knownTarget(ask: Pick<PromotionAsk, 'app' | 'environment'>, policy: Policy): string | null {
  return unknownApp(policy, ask.app) ?? unknownEnvironment(policy, ask.environment);
}

function inFlightRefusal(ask: PromotionAsk, snapshot: AppSnapshot): string | null {
  const open = snapshot.inFlight;
  if (!open) return null;
  return `${ask.app} already has a promotion in flight to ${ask.environment} (${open.id}: ${open.version}, ${open.state.replace('_', ' ')}). Wait for it to finish or cancel it with \`/promote cancel ${open.id}\`.`;
}

function newPromotion(ask: PromotionAsk, fields: Pick<Promotion, 'kind' | 'from' | 'previousVersion' | 'rollbackOf'>, channel: string, configHash: string): Promotion {
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

function requested(p: Promotion, env: EnvironmentPolicy, now: Instant, type: string): Decision {
  const asked = { type, actor: p.requester, detail: { version: p.version, from: p.from, previous_version: p.previousVersion, reason: p.reason || null, emergency: p.emergency, automatic: p.requester === AUTOMATIC } };
  // Promotions run the environment's gates first; rollbacks go back to a version that already ran there.
  if (p.kind === 'promote' && env.gates.length > 0) {
    const results = Object.fromEntries(env.gates.map((g) => [g.name, { status: 'pending' as const, summary: 'waiting to run', evidenceUrl: null, durationMs: null, configHash: g.configHash }]));
    const checking: Promotion = { ...p, state: 'checking', gates: { run: 1, results } };
    return accept(checking, [asked], [{ type: 'render' }, { type: 'run-gates', run: 1 }], { reply: `Asked for ${p.app} ${p.version} to ${p.environment} (${p.id}); running ${env.gates.length} gates.` });
  }
  const started = startIfReady(p, env, now);
  return accept(started.next, [asked, ...started.audit], [{ type: 'render' }, ...started.effects], { reply: replyFor(started.next) });
}

/** The requester of rollbacks Shipgate starts by itself. */
export const AUTOMATIC = 'shipgate';

function replyFor(p: Promotion): string {
  if (p.state === 'deploying') return `Deploying ${p.app} ${p.version} to ${p.environment}.`;
  if (p.state === 'scheduled') return `${p.app} ${p.version} is scheduled for ${p.environment}: it deploys when the window opens (${p.id}).`;
  return `Asked for ${p.app} ${p.version} to ${p.environment} (${p.id}).`;
}

/** `/promote APP VERSION to ENV`: the version must be the one running in the environment it comes from. */
export function decidePromotionRequest(ask: PromotionAsk, policy: Policy, snapshot: AppSnapshot): Decision {
  const unknown = knownTarget(ask, policy);
  if (unknown) return refuse(unknown);
  if (!isValidVersion(ask.version)) return refuse(`\`${ask.version}\` is not a version: ${VERSION_HINT}.`);
  const env = policy.environments.get(ask.environment)!;
  const live = snapshot.current.get(ask.environment);
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
  }
  if (ask.emergency) {
    if (!env.emergency) {
      return refuse(`${ask.environment} has no emergency policy, so nothing may bypass its calendar. Ask without --emergency, or add \`emergency: { approvals: … }\` to ${ask.environment} in shipgate.yml.`);
    }
    if (!ask.reason.trim()) return refuse('Say why this is an emergency: `/promote APP VERSION to ENV --emergency reason…`');
  }
  const busy = inFlightRefusal(ask, snapshot);
  if (busy) return refuse(busy);
  const p = newPromotion(ask, { kind: 'promote', from: env.from, previousVersion: live?.version ?? null, rollbackOf: null }, env.channel, policy.configHash);
  return requested(p, env, ask.now, 'requested');
}

/**
 * `/promote rollback APP ENV [to VERSION]`: a promotion of an earlier version of ENV,
 * under the environment's rollback policy. Without a version, the one before the current.
 */
export function decideRollbackRequest(ask: Omit<PromotionAsk, 'version'> & { version: string | null }, policy: Policy, snapshot: AppSnapshot): Decision {
  const unknown = knownTarget(ask, policy);
  if (unknown) return refuse(unknown);
  const env = policy.environments.get(ask.environment)!;
  const live = snapshot.current.get(ask.environment);
  if (!live) return refuse(`${ask.app} has never been deployed to ${ask.environment}; there is nothing to roll back.`);
  const earlier = snapshot.history.filter((h) => h.version !== live.version);
  let target: (typeof earlier)[number] | undefined;
  if (ask.version === null) {
    target = earlier[0];
    if (!target) return refuse(`${ask.app} has run only ${live.version} in ${ask.environment}; there is no earlier version to roll back to.`);
  } else {
    if (ask.version === live.version) return refuse(`${ask.app} ${ask.version} is already live in ${ask.environment}.`);
    target = earlier.find((h) => h.version === ask.version);
    if (!target) {
      const known = [...new Set(earlier.map((h) => h.version))].slice(0, 5).join(', ');
      return refuse(`${ask.app} ${ask.version} never ran in ${ask.environment}, so it cannot be a rollback target.${known ? ` Earlier versions there: ${known}.` : ''}`);
    }
  }
  if (!ask.automatic && !isAuthorized(env.rollback, ask.requester, ask.requesterMemberOf) && env.rollback.required === 0) {
    const reason = ask.membershipUnknown ?? `Only ${describeApprovers(env.rollback)} can roll back ${ask.environment}.`;
    return refuse(reason, { type: 'rollback_refused', actor: ask.requester, detail: { reason } });
  }
  const busy = inFlightRefusal({ ...ask, version: target.version }, snapshot);
  if (busy) return refuse(busy);
  const p = newPromotion(
    { ...ask, version: target.version },
    { kind: 'rollback', from: null, previousVersion: live.version, rollbackOf: live.promotionId },
    env.channel,
    policy.configHash,
  );
  return requested(p, env, ask.now, 'rollback_requested');
}

/**
 * The **Roll back** button under a deployment (or an alert): the version before it,
 * as long as that deployment is still what runs there.
 */
export function rollbackTargetOf(p: Promotion, live: DeployedVersion | null): { ok: true; version: string } | { ok: false; reason: string } {
  if (p.state !== 'deployed' || live?.promotionId !== p.id) {
    return {
      ok: false,
      reason: `${p.app} ${p.version} is no longer what runs in ${p.environment}${live ? ` (it runs ${live.version})` : ''}. Use \`/promote rollback ${p.app} ${p.environment}\` to choose a version.`,
    };
  }
  if (p.previousVersion === null) return { ok: false, reason: `There was nothing in ${p.environment} before ${p.version}.` };
  return { ok: true, version: p.previousVersion };
}
