import type { AuditFact } from './decision.js';
import { escapeMrkdwn } from './slack-text.js';
import type { Instant } from './promotion.js';

/** What an alert is blamed on: the promotion that put the current version in place. */
export interface AlertMatch {
  promotionId: string | null;
  currentVersion: string | null;
  previousVersion: string | null;
  deployedAt: Instant | null;
}

/** One alert, whatever system sent it. */
export interface IncomingAlert {
  source: string;
  /** The sender's identity for the alert (fingerprint, id); with `startsAt` it names one firing. */
  id: string;
  status: 'firing' | 'resolved';
  title: string;
  severity: string;
  url: string | null;
  app: string | null;
  environment: string | null;
  startsAt: Instant;
  endsAt: Instant | null;
}

/** One firing of one alert, as Shipgate keeps it. */
export interface AlertRecord extends Omit<IncomingAlert, 'endsAt'> {
  key: string;
  receivedAt: Instant;
  resolvedAt: Instant | null;
  match: AlertMatch;
  message: { channel: string; ts: string | null };
  /** The rollback started from this alert or from its promotion's button, once deployed. */
  rollback: { promotionId: string; version: string; deployedAt: Instant | null; automatic: boolean } | null;
}

export type AlertEffect = { type: 'render-alert' } | { type: 'promotion-note'; promotionId: string; text: string } | { type: 'auto-rollback'; promotionId: string };

export type AlertDecision =
  | { kind: 'accept'; next: AlertRecord; audit: AuditFact[]; effects: AlertEffect[] }
  | { kind: 'unchanged'; reason: string };

export interface AutoRollbackPolicy {
  severity: string;
  withinMs: number;
}

const SEVERITY_RANK: Record<string, number> = { info: 0, low: 0, warning: 1, warn: 1, medium: 1, error: 2, high: 2, major: 2, critical: 3, page: 3, emergency: 3, disaster: 3 };

/** True when `severity` is at least `floor` (critical ≥ high ≥ warning ≥ info); unknown severities never qualify. */
export function severityAtLeast(severity: string, floor: string): boolean {
  const have = SEVERITY_RANK[severity.toLowerCase()];
  const need = SEVERITY_RANK[floor.toLowerCase()];
  return have !== undefined && need !== undefined && have >= need;
}

export function minutesBetween(from: Instant, to: Instant): string {
  const minutes = Math.max(0, Math.round((to - from) / 60_000));
  return minutes >= 120 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
}

/**
 * An alert arrives. A new firing is recorded and posted, blamed on the promotion
 * behind the current version; a redelivery of the same firing changes nothing; a
 * resolved notification updates the firing's message. An automatic rollback follows
 * when the environment asks for it and the alert is severe and early enough.
 */
export function decideAlert(existing: AlertRecord | null, incoming: IncomingAlert, fresh: AlertRecord, auto: AutoRollbackPolicy | null, now: Instant): AlertDecision {
  if (incoming.status === 'resolved') {
    if (!existing) return { kind: 'unchanged', reason: 'resolved before Shipgate saw it fire' };
    if (existing.status === 'resolved') return { kind: 'unchanged', reason: 'already resolved' };
    const resolvedAt = incoming.endsAt ?? now;
    return {
      kind: 'accept',
      next: { ...existing, status: 'resolved', resolvedAt },
      audit: [{ type: 'alert_resolved', actor: incoming.source, detail: { alert: existing.key, after: minutesBetween(existing.startsAt || existing.receivedAt, resolvedAt) } }],
      effects: [{ type: 'render-alert' }],
    };
  }
  if (existing) return { kind: 'unchanged', reason: 'this firing was already received' };

  const m = fresh.match;
  const audit: AuditFact[] = [
    { type: 'alert_received', actor: incoming.source, detail: { alert: fresh.key, title: fresh.title, severity: fresh.severity } },
    m.promotionId
      ? { type: 'alert_matched', actor: 'shipgate', detail: { alert: fresh.key, promotion: m.promotionId, version: m.currentVersion } }
      : { type: 'alert_unmatched', actor: 'shipgate', detail: { alert: fresh.key, reason: fresh.app && fresh.environment ? 'no deployment recorded there' : 'no app or environment label' } },
  ];
  const effects: AlertEffect[] = [{ type: 'render-alert' }];
  if (m.promotionId) {
    const since = m.deployedAt !== null ? ` ${minutesBetween(m.deployedAt, fresh.startsAt || now)} after the deployment` : '';
    effects.push({ type: 'promotion-note', promotionId: m.promotionId, text: `:rotating_light: Alert fired${since}: ${escapeMrkdwn(fresh.title)} (${escapeMrkdwn(fresh.severity)}).` });
    const early = m.deployedAt !== null && (fresh.startsAt || now) - m.deployedAt <= (auto?.withinMs ?? -1);
    if (auto && m.previousVersion && early && severityAtLeast(fresh.severity, auto.severity)) {
      audit.push({ type: 'auto_rollback_decided', actor: 'shipgate', detail: { alert: fresh.key, promotion: m.promotionId, to_version: m.previousVersion } });
      effects.push({ type: 'auto-rollback', promotionId: m.promotionId });
    }
  }
  return { kind: 'accept', next: fresh, audit, effects };
}

/** The rollback of the alert's promotion was deployed: the alert message says so. */
export function decideAlertRolledBack(record: AlertRecord, rollback: { promotionId: string; version: string; automatic: boolean }, now: Instant): AlertDecision {
  if (record.rollback?.deployedAt) return { kind: 'unchanged', reason: 'already rolled back' };
  return {
    kind: 'accept',
    next: { ...record, rollback: { ...rollback, deployedAt: now } },
    audit: [{ type: 'alert_rolled_back', actor: 'shipgate', detail: { alert: record.key, rollback: rollback.promotionId, to_version: rollback.version, recovery_seconds: Math.round((now - (record.startsAt || record.receivedAt)) / 1000) } }],
    effects: [{ type: 'render-alert' }],
  };
}
