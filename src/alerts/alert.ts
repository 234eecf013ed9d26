import type { IncomingAlert } from '../domain/alerts.js';
import type { Instant } from '../domain/promotion.js';

export type AlertSource = 'alertmanager' | 'grafana' | 'generic';

/** One alert, whatever system sent it: the domain's shape, with the senders Shipgate knows. */
export type Alert = IncomingAlert & { source: AlertSource };

/** Which labels name the app and the environment, first match wins. */
export interface LabelNames {
  app: readonly string[];
  environment: readonly string[];
}

export const DEFAULT_LABELS: LabelNames = { app: ['app', 'service'], environment: ['environment', 'env'] };

export function pickLabel(labels: Record<string, string>, names: readonly string[]): string | null {
  for (const name of names) if (labels[name]) return labels[name];
  return null;
}

/** Alertmanager and Grafana send 0001-01-01T00:00:00Z for "no end". */
export function parseTime(text: string | undefined | null): Instant | null {
  if (!text) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) || t <= 0 ? null : t;
}

/** The sender's fingerprint, or, without one, the sorted labels: the same alert always gets the same id. */
export function alertId(fingerprint: string | undefined, labels: Record<string, string>): string {
  return fingerprint ?? Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(',');
}
