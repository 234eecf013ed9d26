import type { AuditFact, LedgerChange } from './decision.js';
import { describeApprovers, isAuthorized, type EnvironmentPolicy } from './policy.js';
import type { Instant } from './promotion.js';
import type { DeployedVersion } from './request.js';

/** How a drift ended: what runs matched the ledger again, Shipgate deployed over it, or an approver adopted it. */
export type DriftResolution =
  | { how: 'in_sync'; at: Instant; version: string }
  | { how: 'deployed' | 'rolled_back'; at: Instant; version: string; promotionId: string }
  | { how: 'adopted'; at: Instant; version: string; user: string };

/**
 * What Shipgate knows about one app and environment against what actually runs there.
 * One record per app and environment; each detection opens an `episode`, shown as one
 * message that is updated (never posted again) until the drift resolves.
 */
export interface DriftRecord {
  app: string;
  environment: string;
  episode: number;
  state: 'in_sync' | 'drifted';
  /** What the executor reported at the last check that changed this record. */
  running: string | null;
  /** What the ledger said (what Shipgate deployed) when the drift was detected. */
  recorded: { version: string; promotionId: string } | null;
  detectedAt: Instant | null;
  /** The last time what ran was known to equal the ledger (a check, or Shipgate's own deployment). */
  lastInSync: Instant | null;
  resolution: DriftResolution | null;
  message: { channel: string; ts: string | null };
}

/** An open drift as a promotion decision sees it (AppSnapshot.drifts). */
export interface OpenDrift {
  running: string;
  detectedAt: Instant;
}

export type DriftEffect = { type: 'render-drift' };

export type DriftDecision =
  | {
      kind: 'accept';
      next: DriftRecord;
      audit: AuditFact[];
      effects: DriftEffect[];
      ledger?: LedgerChange;
      reply?: string;
      /** A new drift: how long it went unnoticed since the last time all was in sync. */
      detected?: { sinceInSyncMs: number };
    }
  | { kind: 'refuse'; reason: string; audit?: AuditFact }
  | { kind: 'unchanged'; reason: string };

/** What one check saw: the executor's answer, and the ledger with the kind of the promotion that wrote it. */
export interface DriftObservation {
  running: string | null;
  ledger: DeployedVersion | null;
  ledgerKind: 'promote' | 'rollback' | null;
}

const SHIPGATE = 'shipgate';

function fresh(app: string, environment: string, channel: string): DriftRecord {
  return { app, environment, episode: 0, state: 'in_sync', running: null, recorded: null, detectedAt: null, lastInSync: null, resolution: null, message: { channel, ts: null } };
}

/**
 * A scheduled check: compares what the executor reports with the ledger. Nothing to
 * compare (the executor cannot tell, or Shipgate never deployed here) changes nothing.
 */
export function decideDriftCheck(record: DriftRecord | null, seen: DriftObservation, app: string, environment: string, channel: string, now: Instant): DriftDecision {
  const { running, ledger } = seen;
  if (running === null) return { kind: 'unchanged', reason: 'the executor cannot tell what runs' };
  if (ledger === null) return { kind: 'unchanged', reason: 'Shipgate has not deployed here yet' };
  const base = record ?? fresh(app, environment, channel);
  if (running === ledger.version) {
    if (base.state === 'drifted') {
      const byShipgate = base.recorded !== null && ledger.promotionId !== base.recorded.promotionId;
      const resolution: DriftResolution = byShipgate
        ? { how: seen.ledgerKind === 'rollback' ? 'rolled_back' : 'deployed', at: now, version: running, promotionId: ledger.promotionId }
        : { how: 'in_sync', at: now, version: running };
      return {
        kind: 'accept',
        next: { ...base, state: 'in_sync', running, resolution, lastInSync: now },
        audit: [{ type: 'drift_resolved', actor: SHIPGATE, detail: { how: resolution.how, version: running, promotion: byShipgate ? ledger.promotionId : null, episode: base.episode } }],
        effects: [{ type: 'render-drift' }],
      };
    }
    // Only when it was last seen in sync moves; not a fact worth an audit entry.
    return { kind: 'accept', next: { ...base, running, lastInSync: now }, audit: [], effects: [] };
  }
  if (base.state === 'drifted') {
    if (base.running === running && base.recorded?.version === ledger.version && base.recorded.promotionId === ledger.promotionId) return { kind: 'unchanged', reason: 'the drift is already recorded' };
    // Still drifted, but something moved (another out-of-band change, or a Shipgate deployment that did not stick).
    return {
      kind: 'accept',
      next: { ...base, running, recorded: { version: ledger.version, promotionId: ledger.promotionId } },
      audit: [{ type: 'drift_changed', actor: SHIPGATE, detail: { running, recorded: ledger.version, previous_running: base.running, episode: base.episode } }],
      effects: [{ type: 'render-drift' }],
    };
  }
  // Shipgate's own deployment was in sync when it succeeded: the lower bound when no check saw it since.
  const lastInSync = Math.max(base.lastInSync ?? 0, ledger.at);
  const next: DriftRecord = {
    ...base,
    episode: base.episode + 1,
    state: 'drifted',
    running,
    recorded: { version: ledger.version, promotionId: ledger.promotionId },
    detectedAt: now,
    lastInSync,
    resolution: null,
    message: { channel, ts: null },
  };
  return {
    kind: 'accept',
    next,
    audit: [{ type: 'drift_detected', actor: SHIPGATE, detail: { running, recorded: ledger.version, recorded_by: ledger.promotionId, last_in_sync: new Date(lastInSync).toISOString(), episode: next.episode } }],
    effects: [{ type: 'render-drift' }],
    detected: { sinceInSyncMs: Math.max(0, now - lastInSync) },
  };
}

/** The id under which an adopted version stands in the ledger and its history, naming who adopted it. */
export function adoptedLedgerId(user: string): string {
  return `adopted-by-${user}`;
}

export interface AdoptClick {
  user: string;
  memberOf: readonly string[];
  membershipUnknown: string | null;
}

/**
 * **Adopt VERSION**: an approver of the environment records what runs as what Shipgate
 * deployed there. The drift must still be the one shown, and no deployment may be under
 * way (it is about to change what runs).
 */
export function decideDriftAdopt(record: DriftRecord | null, click: AdoptClick, env: EnvironmentPolicy, ledger: DeployedVersion | null, deploying: string | null, now: Instant): DriftDecision {
  if (record === null || record.state !== 'drifted' || record.running === null) {
    return { kind: 'unchanged', reason: `There is no drift to adopt: ${record?.app ?? 'the app'} runs what Shipgate deployed in ${env.name}.` };
  }
  const { app, running } = record;
  if (!isAuthorized(env.approvals, click.user, click.memberOf)) {
    const reason = click.membershipUnknown ?? `Only ${describeApprovers(env.approvals)} can adopt what runs in ${env.name}; ask one of them, or roll back to ${record.recorded?.version ?? 'the recorded version'}.`;
    return { kind: 'refuse', reason, audit: { type: 'drift_adopt_refused', actor: click.user, detail: { running, reason } } };
  }
  if (deploying) return { kind: 'refuse', reason: `A deployment of ${app} to ${env.name} is under way (${deploying}); adopt once it has ended, if the drift is still there.` };
  if (ledger?.version !== record.recorded?.version) {
    return { kind: 'refuse', reason: `Shipgate's record of ${app} in ${env.name} changed since this drift was detected (it now says ${ledger?.version ?? 'nothing'}); the next check updates the message.` };
  }
  const resolution: DriftResolution = { how: 'adopted', at: now, version: running, user: click.user };
  return {
    kind: 'accept',
    next: { ...record, state: 'in_sync', resolution, lastInSync: now },
    audit: [{ type: 'drift_adopted', actor: click.user, detail: { version: running, replaces: record.recorded?.version ?? null, episode: record.episode } }],
    effects: [{ type: 'render-drift' }],
    ledger: { app, environment: env.name, version: running, promotionId: adoptedLedgerId(click.user), at: now },
    reply: `Adopted ${app} ${running} in ${env.name}: Shipgate now records it as what runs there.`,
  };
}
