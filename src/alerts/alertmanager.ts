import { z } from 'zod';
import { alertId, parseTime, pickLabel, type Alert, type LabelNames } from './alert.js';

const labels = z.record(z.string(), z.string());

/** One alert as Alertmanager sends it; Grafana's alerting sends the same, with more links. */
export const alertmanagerAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.default({}),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

/** Prometheus Alertmanager webhook payload, version 4. */
export const alertmanagerPayload = z.object({
  version: z.string().optional(),
  groupKey: z.string().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  alerts: z.array(alertmanagerAlert).min(1),
});

export function fromAlertmanager(payload: z.output<typeof alertmanagerPayload>, names: LabelNames): Alert[] {
  return payload.alerts.map((a) => ({
    source: 'alertmanager',
    id: alertId(a.fingerprint, a.labels),
    status: a.status,
    title: a.annotations.summary ?? a.annotations.title ?? a.labels.alertname ?? 'Alert',
    severity: a.labels.severity ?? 'unknown',
    url: a.generatorURL || null,
    app: pickLabel(a.labels, names.app),
    environment: pickLabel(a.labels, names.environment),
    startsAt: parseTime(a.startsAt) ?? 0,
    endsAt: a.status === 'resolved' ? parseTime(a.endsAt) : null,
  }));
}
