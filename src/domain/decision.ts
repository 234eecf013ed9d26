import type { Promotion, Instant } from './promotion.js';
import type { DrillRecord } from './drill.js';

/** A fact for the audit log; the store adds sequence, time, config hash and the hash chain. */
export interface AuditFact {
  type: string;
  actor: string;
  detail?: Record<string, string | number | boolean | null>;
}

/** Work that follows a committed change; run by queues, never inside the decision. */
export type Effect =
  | { type: 'deploy' }
  | { type: 'render'; at?: Instant }
  | { type: 'note'; text: string; rollbackTo?: string }
  | { type: 'check-window'; at: Instant }
  /** Ping the thread at `at` if the promotion still waits for approval then. */
  | { type: 'remind'; stage: 'remind' | 'escalate'; at: Instant }
  | { type: 'run-gates'; run: number }
  /** A rollback queued behind this deployment may start now that it ended. */
  | { type: 'start-queued'; promotionId: string }
  /** The deployment this rollback undid is now rolled back. */
  | { type: 'mark-rolled-back'; promotionId: string };

export interface LedgerChange {
  app: string;
  environment: string;
  version: string;
  promotionId: string;
  at: Instant;
  /** Versions a deployed rollback undid: marked bad in the environment. */
  markBad?: string[];
}

/** A change to another promotion of the same app and environment, committed in the same step (a rollback superseding what waits). */
export interface SideChange {
  next: Promotion;
  audit: AuditFact[];
  effects: Effect[];
}

/** `drill`: a drill that ended, remembered per app and environment in the same commit. */
export type Accepted = { kind: 'accept'; next: Promotion; audit: AuditFact[]; effects: Effect[]; ledger?: LedgerChange; reply?: string; others?: SideChange[]; drill?: DrillRecord };

export type Decision = Accepted | { kind: 'refuse'; reason: string; audit?: AuditFact } | { kind: 'unchanged'; reason: string };

export function accept(next: Promotion, audit: AuditFact[], effects: Effect[], extra: { ledger?: LedgerChange; reply?: string; others?: SideChange[]; drill?: DrillRecord } = {}): Accepted {
  return { kind: 'accept', next, audit, effects, ...extra };
}

export function refuse(reason: string, audit?: AuditFact): Decision {
  return audit ? { kind: 'refuse', reason, audit } : { kind: 'refuse', reason };
}

export function unchanged(reason: string): Decision {
  return { kind: 'unchanged', reason };
}
