/** Epoch milliseconds. Domain code never reads the clock; time is passed in. */
export type Instant = number;

/**
 * Open states wait for something and hold the environment's in-flight slot. `blocked`
 * (a gate failed) is among them so that **Re-run gates** can continue the promotion;
 * Cancel or Reject ends it.
 */
export const OPEN_STATES = ['requested', 'checking', 'awaiting_approval', 'scheduled', 'blocked'] as const;
export const ACTIVE_STATES = [...OPEN_STATES, 'deploying'] as const;
export const FINAL_STATES = ['deployed', 'rejected', 'cancelled', 'expired', 'failed', 'rolled_back'] as const;

export type OpenState = (typeof OPEN_STATES)[number];
export type PromotionState = (typeof ACTIVE_STATES)[number] | (typeof FINAL_STATES)[number];
export type PromotionKind = 'promote' | 'rollback';

export interface Approval {
  user: string;
  at: Instant;
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
}

export function isOpen(state: PromotionState): state is OpenState {
  return (OPEN_STATES as readonly string[]).includes(state);
}

export function isActive(state: PromotionState): boolean {
  return (ACTIVE_STATES as readonly string[]).includes(state);
}
