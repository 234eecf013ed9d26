import type { Instant } from '../domain/promotion.js';

export type AlertSource = 'alertmanager' | 'grafana' | 'generic';

/** One alert, whatever system sent it. */
export interface Alert {
  source: AlertSource;
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
