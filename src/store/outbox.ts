import type { Effect } from '../domain/decision.js';
import type { AlertEffect } from '../domain/alerts.js';
import type { DriftEffect } from '../domain/drift.js';
import type { RefreshEffect } from '../domain/refresh.js';
import type { CommitPlan } from './commit-script.js';

/**
 * One piece of follow-up work, written by the commit that decided it. `rev` and
 * `index` name it for good: a job queued from it gets an id derived from them, so a
 * relay that delivers it twice queues it once.
 */
export type OutboxEntry =
  | { kind: 'promotion'; promotionId: string; rev: number; index: number; effect: Effect }
  | { kind: 'alert'; alertKey: string; rev: number; index: number; effect: AlertEffect }
  | { kind: 'drift'; app: string; environment: string; rev: number; index: number; effect: DriftEffect }
  /** An unlock (revision `rev` of the environment's locks) checks again a promotion the lock held back. */
  | { kind: 'lock'; environment: string; rev: number; index: number; promotionId: string }
  /** Work that follows a data refresh's change: its copy, its masking scan, its message and notes. */
  | { kind: 'refresh'; refreshId: string; rev: number; index: number; effect: RefreshEffect };

/** Adds the entries to the commit, in order, so they exist exactly when the change does. */
export function writeOutbox(plan: CommitPlan, outboxKey: string, entries: OutboxEntry[]): void {
  for (const entry of entries) plan.op('XADD', outboxKey, '*', 'e', JSON.stringify(entry));
}

export function entryName(entry: OutboxEntry): string {
  if (entry.kind === 'refresh') return `${entry.refreshId}-r${entry.rev}-${entry.index}`;
  if (entry.kind === 'lock') return `lock-${entry.environment}-r${entry.rev}-${entry.index}`;
  if (entry.kind === 'drift') return `drift-${entry.app}-${entry.environment}-r${entry.rev}-${entry.index}`;
  return entry.kind === 'promotion' ? `${entry.promotionId}-r${entry.rev}-${entry.index}` : `${entry.alertKey}-r${entry.rev}-${entry.index}`;
}
