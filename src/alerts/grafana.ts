import { z } from 'zod';
import { alertId, parseTime, pickLabel, type Alert, type LabelNames } from './alert.js';
import { alertmanagerAlert } from './alertmanager.js';

/** Grafana alerting webhook payload (unified alerting): Alertmanager-like, with dashboard and panel links. */
export const grafanaPayload = z.object({
  receiver: z.string().optional(),
  status: z.enum(['firing', 'resolved']),
  orgId: z.number().optional(),
  alerts: z.array(alertmanagerAlert.extend({ dashboardURL: z.string().optional(), panelURL: z.string().optional(), valueString: z.string().optional() })).min(1),
  title: z.string().optional(),
});

export function fromGrafana(payload: z.output<typeof grafanaPayload>, names: LabelNames): Alert[] {
  return payload.alerts.map((a) => ({
    source: 'grafana',
    id: alertId(a.fingerprint, a.labels),
    status: a.status,
    title: a.annotations.summary ?? a.labels.alertname ?? payload.title ?? 'Alert',
    severity: a.labels.severity ?? 'unknown',
    url: a.panelURL || a.dashboardURL || a.generatorURL || null,
    app: pickLabel(a.labels, names.app),
    environment: pickLabel(a.labels, names.environment),
    startsAt: parseTime(a.startsAt) ?? 0,
    endsAt: a.status === 'resolved' ? parseTime(a.endsAt) : null,
  }));
}
