import type { AlertRecord } from './alerts.js';
import type { Instant, Promotion } from './promotion.js';

export type DeploymentKind = 'promote' | 'rollback' | 'emergency';
export type DeploymentOutcome = 'succeeded' | 'failed';
export type Resolution = 'within_slo' | 'late' | 'open';

/** What the figures are computed from: stored records, never process memory. */
export interface DeliveryFacts {
  /** Promotions asked for since the start of the read window (older ones cannot end inside the figures' window, bar a few days' lag). */
  promotions: Promotion[];
  /** Promotions not yet final, whenever they were asked for. */
  active: Promotion[];
  /** Alert firings received for known apps and environments since the start of the read window. */
  alerts: AlertRecord[];
}

export interface FigureRules {
  now: Instant;
  /** Deployments, failures and restores count when they ended within this long before `now`. */
  windowMs: number;
  /** A deployment followed within this long by a rollback of it or an alert blamed on it is a change failure. */
  failureWindowMs: number;
  /** A failed or blocked promotion should be followed by a deployment of its app and environment within this long. */
  resolveWithinMs: number;
}

/** The figures of one app in one environment. */
export interface PairFigures {
  app: string;
  environment: string;
  deployments: { kind: DeploymentKind; outcome: DeploymentOutcome; count: number }[];
  /** Seconds from request to deployed, per successful promote or emergency deployment. */
  leadTimes: number[];
  /** Promote and emergency deployments that ended (succeeded or failed). */
  changes: number;
  /** Of those: failed, rolled back within the failure window, or blamed by an alert firing within it. */
  failedChanges: number;
  /** Seconds from the alert (or the failed deployment, or the rollback's request) to the rollback deployed. */
  restoreTimes: number[];
  failedPromotions: Record<Resolution, number>;
}

export interface DeliveryFigures {
  pairs: PairFigures[];
  /** Promotions waiting for approvals, per environment. */
  approvalsPending: Map<string, number>;
}

const SECOND = 1000;

function deploymentEnd(p: Promotion): Instant | null {
  if (p.state !== 'deployed' && p.state !== 'rolled_back' && p.state !== 'failed') return null;
  return p.deployment?.finishedAt ?? null;
}

function kindOf(p: Promotion): DeploymentKind {
  return p.kind === 'rollback' ? 'rollback' : p.emergency ? 'emergency' : 'promote';
}

function succeeded(p: Promotion): boolean {
  return p.state === 'deployed' || p.state === 'rolled_back';
}

/** A promotion that failed a gate (now or before a re-run), or whose deployment failed. */
function failure(p: Promotion): Instant | null {
  if (p.state === 'failed') return deploymentEnd(p);
  const gateFailed = Object.values(p.gates?.results ?? {}).some((g) => g.status === 'failed' || g.status === 'error');
  // The record keeps no time of the gate failure: the request is the closest stored fact.
  return p.state === 'blocked' || gateFailed ? p.requestedAt : null;
}

/**
 * DORA-style delivery figures of every app and environment, from stored promotions and
 * alerts. Pure: the same facts give the same figures on every replica.
 */
export function deliveryFigures(pairs: readonly (readonly [string, string])[], facts: DeliveryFacts, rules: FigureRules): DeliveryFigures {
  const since = rules.now - rules.windowMs;
  const inWindow = (t: Instant | null): t is Instant => t !== null && t >= since;
  const rollbacksOf = new Map<string, Promotion[]>();
  for (const p of facts.promotions) if (p.kind === 'rollback' && p.rollbackOf) rollbacksOf.set(p.rollbackOf, [...(rollbacksOf.get(p.rollbackOf) ?? []), p]);
  const alertsOf = new Map<string, AlertRecord[]>();
  for (const a of facts.alerts) if (a.match.promotionId) alertsOf.set(a.match.promotionId, [...(alertsOf.get(a.match.promotionId) ?? []), a]);
  const alertStart = (a: AlertRecord) => a.startsAt || a.receivedAt;
  // Grouped and indexed once: hundreds of apps times thousands of promotions is too many to filter per pair.
  const byId = new Map(facts.promotions.map((p) => [p.id, p]));
  const byPair = new Map<string, Promotion[]>();
  for (const p of facts.promotions) {
    const key = `${p.app} ${p.environment}`;
    const list = byPair.get(key);
    if (list) list.push(p);
    else byPair.set(key, [p]);
  }

  const figures = pairs.map(([app, environment]): PairFigures => {
    // Drills rehearse the rollback path; they change nothing that ships, so they are no delivery.
    const mine = (byPair.get(`${app} ${environment}`) ?? []).filter((p) => p.kind !== 'drill').sort((a, b) => a.requestedAt - b.requestedAt);
    const counts = new Map<string, number>();
    const leadTimes: number[] = [];
    const restoreTimes: number[] = [];
    let changes = 0;
    let failedChanges = 0;
    for (const p of mine) {
      const end = deploymentEnd(p);
      if (!inWindow(end)) continue;
      const kind = kindOf(p);
      const outcome: DeploymentOutcome = succeeded(p) ? 'succeeded' : 'failed';
      counts.set(`${kind} ${outcome}`, (counts.get(`${kind} ${outcome}`) ?? 0) + 1);
      if (kind !== 'rollback') {
        changes++;
        if (outcome === 'succeeded') leadTimes.push((end - p.requestedAt) / SECOND);
        const within = (t: Instant) => t >= end && t <= end + rules.failureWindowMs;
        const undone = (rollbacksOf.get(p.id) ?? []).some((r) => within(r.requestedAt));
        const blamed = (alertsOf.get(p.id) ?? []).some((a) => within(alertStart(a)));
        if (outcome === 'failed' || undone || blamed) failedChanges++;
      } else if (outcome === 'succeeded') {
        restoreTimes.push((end - restoreStart(p, byId, alertsOf, alertStart)) / SECOND);
      }
    }
    const failedPromotions: Record<Resolution, number> = { within_slo: 0, late: 0, open: 0 };
    for (const p of mine) {
      const failedAt = failure(p);
      if (!inWindow(failedAt)) continue;
      // Resolved by the first deployment of the app and environment that ended after the failure: this promotion's own after a re-run, or a later one.
      const fixes = mine
        .filter((q) => succeeded(q) && (q.id === p.id || q.requestedAt >= p.requestedAt))
        .map((q) => deploymentEnd(q))
        .filter((t): t is Instant => t !== null && t >= failedAt);
      const resolvedAt = fixes.length > 0 ? Math.min(...fixes) : null;
      failedPromotions[resolvedAt === null ? 'open' : resolvedAt - failedAt <= rules.resolveWithinMs ? 'within_slo' : 'late']++;
    }
    const deployments = [...counts].map(([key, count]) => {
      const [kind, outcome] = key.split(' ') as [DeploymentKind, DeploymentOutcome];
      return { kind, outcome, count };
    });
    return { app, environment, deployments, leadTimes, changes, failedChanges, restoreTimes, failedPromotions };
  });

  const approvalsPending = new Map<string, number>();
  for (const env of new Set(pairs.map(([, env]) => env))) approvalsPending.set(env, 0);
  for (const p of facts.active) if (p.state === 'awaiting_approval') approvalsPending.set(p.environment, (approvalsPending.get(p.environment) ?? 0) + 1);
  return { pairs: figures, approvalsPending };
}

/** When the trouble a rollback ended began: the first alert blamed on what it undid, else that deployment's failure, else the rollback's request. */
function restoreStart(rollback: Promotion, byId: ReadonlyMap<string, Promotion>, alertsOf: Map<string, AlertRecord[]>, alertStart: (a: AlertRecord) => Instant): Instant {
  const end = rollback.deployment!.finishedAt!;
  const undone = rollback.rollbackOf ? byId.get(rollback.rollbackOf) : undefined;
  const alerts = (rollback.rollbackOf ? alertsOf.get(rollback.rollbackOf) ?? [] : []).map(alertStart).filter((t) => t <= end);
  if (alerts.length > 0) return Math.min(...alerts);
  if (undone?.state === 'failed' && undone.deployment?.finishedAt) return undone.deployment.finishedAt;
  return rollback.requestedAt;
}
