import type { PromotionSettings } from './settings.js';
import type { Lock } from './lock.js';
import type { Drill } from './drill.js';

/** Epoch milliseconds. Domain code never reads the clock; time is passed in. */
export type Instant = number;

/**
 * Open states wait for something and hold the environment's in-flight slot. `blocked`
 * (a gate failed, or the path rule no longer held at deploy start) is among them so
 * that **Re-run gates** can continue the promotion; Cancel, Reject or a newer request
 * (superseded) ends it.
 */
export const OPEN_STATES = ['requested', 'checking', 'awaiting_approval', 'scheduled', 'blocked'] as const;
/** States that hold the environment's in-flight slot. */
export const ACTIVE_STATES = [...OPEN_STATES, 'deploying'] as const;
/**
 * A rollback asked for while another deployment of the same app and environment runs:
 * it waits, without the slot, and starts as soon as that deployment ends.
 */
export const QUEUED = 'queued';
export const FINAL_STATES = ['deployed', 'rejected', 'cancelled', 'superseded', 'failed', 'rolled_back'] as const;

export type OpenState = (typeof OPEN_STATES)[number];
export type PromotionState = (typeof ACTIVE_STATES)[number] | typeof QUEUED | (typeof FINAL_STATES)[number];
/** `drill`: a rehearsal of the rollback path, back to the version known good and forward again (see drill.ts). */
export type PromotionKind = 'promote' | 'rollback' | 'drill';

export interface Approval {
  user: string;
  at: Instant;
  /**
   * The policy's approver entries (groups, or the person's own id) the approval counts
   * under, as known when it was given: all_of places each person in one of them.
   */
  as?: string[];
  /** Given through a delegation: the delegator it counts for (one person counts once). */
  onBehalfOf?: string;
  /** Given through a delegation: it stops counting when the delegation ends. */
  delegatedUntil?: Instant;
  /**
   * Given while the calendar was closed: a pre-approval for the window opening at
   * `opens`. It counts until that window closes (expire_after aside), and lapses if
   * the window passes without a deployment.
   */
  window?: { opens: Instant; closes: Instant | null };
}

export interface Ending {
  user: string;
  at: Instant;
  reason: string | null;
}

export type GateStatus = 'pending' | 'running' | 'passed' | 'failed' | 'error';

export interface GateResult {
  status: GateStatus;
  /** One line with the measured figure, such as `coverage 83.2% ≥ 80%`. */
  summary: string;
  evidenceUrl: string | null;
  durationMs: number | null;
  /** SHA-256 of the gate's configuration (secrets left out), so the evidence names the rule it met. */
  configHash: string;
}

/** The gates of one run; a re-run starts a new run with every gate pending. */
export interface GateRun {
  run: number;
  results: Record<string, GateResult>;
}

export function isGateFinal(status: GateStatus): boolean {
  return status === 'passed' || status === 'failed' || status === 'error';
}

export interface Deployment {
  startedAt: Instant;
  finishedAt: Instant | null;
  error: string | null;
  /**
   * When the executor was first called, after the path rule held at deploy start;
   * retries of that one call reuse the promotion id as Idempotency-Key.
   */
  calledAt?: Instant | null;
  /**
   * The executor's handle of a deployment that runs on after `start` (a workflow run,
   * an Argo CD sync): stored before the first poll, so any worker follows the same one.
   */
  handle?: string | null;
  /** A page a person can open to watch that deployment, or null. */
  link?: string | null;
}

export interface Promotion {
  id: string;
  kind: PromotionKind;
  app: string;
  /** The artifact version being moved. */
  version: string;
  environment: string;
  /** The environment the version must come from; null for entry environments and rollbacks. */
  from: string | null;
  /** What ran in `environment` when the promotion was asked for. */
  previousVersion: string | null;
  /** For a rollback: the promotion whose deployment it undoes. */
  rollbackOf: string | null;
  requester: string;
  reason: string;
  requestedAt: Instant;
  state: PromotionState;
  approvals: Approval[];
  ending: Ending | null;
  deployment: Deployment | null;
  /** Where the promotion message lives; `ts` is null until the message is posted. */
  message: { channel: string; ts: string | null };
  /** SHA-256 of the configuration in force when the promotion was asked for. */
  configHash: string;
  /** Asked for with --emergency: bypasses the calendar, under the emergency approval policy. */
  emergency: boolean;
  /** While scheduled: when the calendar opens next (null: not within the look-ahead). */
  scheduledFor: Instant | null;
  /** Gate results of the latest run; null when the environment has no gates or for rollbacks. */
  gates: GateRun | null;
  /** Why the promotion is blocked when no gate says so (the path rule failed at deploy start). */
  blockedReason?: string | null;
  /** The version a rollback of this deployment goes to: the last one known good when it was asked for. */
  lastKnownGood?: string | null;
  /** Asked with --force-bad: the version was undone by a rollback here, and this is why it comes back. */
  forcedBad?: string | null;
  /** For a rollback: the versions it undoes, marked bad in the environment once it is deployed. */
  undoes?: string[];
  /** While deploying: a rollback queued behind this deployment, started when it ends. */
  queuedRollback?: string | null;
  /** The target's settings when asked for: their hash and the names that differ from `from` (never values). */
  settings?: PromotionSettings | null;
  /** When it last began to wait for approval again (a queued rollback started, approvals lapsed); absent: since the request. */
  approvalWaitSince?: Instant;
  /** Reminders and escalations sent in the thread, by stage and due time, so each goes out once. */
  reminded?: { stage: 'remind' | 'escalate'; at: Instant }[];
  /** Approved, but a lock on its environment holds it back until lifted. */
  heldBy?: Lock | null;
  /** Deployed during a freeze whose break-glass list names the requester: that freeze's name. */
  breakGlass?: string | null;
  /** For a rollback queued behind a drill: the drill's id (the drill may leave the environment on this rollback's version). */
  behindDrill?: string | null;
  /** For a drill: its legs and their timings. */
  drill?: Drill | null;
}

export function isOpen(state: PromotionState): state is OpenState {
  return (OPEN_STATES as readonly string[]).includes(state);
}

/** Holds the in-flight slot of its app and environment. */
export function isActive(state: PromotionState): boolean {
  return (ACTIVE_STATES as readonly string[]).includes(state);
}

/** Not yet in a final state: something (a person, a window, a job) will still move it. */
export function isPending(state: PromotionState): boolean {
  return isActive(state) || state === QUEUED;
}

export function isFinal(state: PromotionState): boolean {
  return (FINAL_STATES as readonly string[]).includes(state);
}
