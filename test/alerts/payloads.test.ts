import { describe, expect, it } from 'vitest';
import { DEFAULT_LABELS } from '../../src/alerts/alert.js';
import { alertmanagerPayload, fromAlertmanager } from '../../src/alerts/alertmanager.js';
import { fromGeneric, genericPayload } from '../../src/alerts/generic.js';
import { fromGrafana, grafanaPayload } from '../../src/alerts/grafana.js';
import { decideAlert, severityAtLeast, type AlertRecord } from '../../src/domain/alerts.js';

/** As Alertmanager 0.25 sends it (webhook payload version 4), two alerts grouped. */
export const ALERTMANAGER_FIRING = {
  receiver: 'shipgate',
  status: 'firing',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'HighErrorRate', app: 'web', environment: 'production', severity: 'critical' },
      annotations: { summary: 'Error rate above 5%', description: '7.2% of requests fail' },
      startsAt: '2026-11-24T10:05:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=rate%28errors%5B5m%5D%29',
      fingerprint: 'c0ffee0123456789',
    },
    {
      status: 'firing',
      labels: { alertname: 'DiskFilling', service: 'api', env: 'staging', severity: 'warning' },
      annotations: {},
      startsAt: '2026-11-24T10:06:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: 'deadbeef01234567',
    },
  ],
  groupLabels: { alertname: 'HighErrorRate' },
  commonLabels: { severity: 'critical' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  version: '4',
  groupKey: '{}:{alertname="HighErrorRate"}',
  truncatedAlerts: 0,
};

const GRAFANA_RESOLVED = {
  receiver: 'shipgate',
  status: 'resolved',
  orgId: 1,
  alerts: [
    {
      status: 'resolved',
      labels: { alertname: 'Latency', grafana_folder: 'web', app: 'web', env: 'production' },
      annotations: { summary: 'p95 latency above 300 ms' },
      startsAt: '2026-11-24T10:00:00Z',
      endsAt: '2026-11-24T10:12:00Z',
      generatorURL: 'https://grafana.example.com/alerting/grafana/abc/view',
      fingerprint: '57c6d9296de2ad39',
      silenceURL: 'https://grafana.example.com/alerting/silence/new',
      dashboardURL: 'https://grafana.example.com/d/web',
      panelURL: 'https://grafana.example.com/d/web?viewPanel=2',
      values: { B: 0.41 },
      valueString: "[ var='B' labels={} value=0.41 ]",
    },
  ],
  groupLabels: { alertname: 'Latency' },
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'https://grafana.example.com/',
  version: '1',
  groupKey: '{}/{alertname="Latency"}:{alertname="Latency"}',
  truncatedAlerts: 0,
  title: '[RESOLVED] Latency',
  state: 'ok',
  message: '**Resolved**',
};

describe('alert payloads', () => {
  it('reads a grouped Alertmanager payload, naming app and environment by either label', () => {
    const alerts = fromAlertmanager(alertmanagerPayload.parse(ALERTMANAGER_FIRING), DEFAULT_LABELS);
    expect(alerts).toEqual([
      { source: 'alertmanager', id: 'c0ffee0123456789', status: 'firing', title: 'Error rate above 5%', severity: 'critical', url: 'http://prometheus:9090/graph?g0.expr=rate%28errors%5B5m%5D%29', app: 'web', environment: 'production', startsAt: Date.parse('2026-11-24T10:05:00Z'), endsAt: null },
      { source: 'alertmanager', id: 'deadbeef01234567', status: 'firing', title: 'DiskFilling', severity: 'warning', url: null, app: 'api', environment: 'staging', startsAt: Date.parse('2026-11-24T10:06:00Z'), endsAt: null },
    ]);
  });

  it('leaves app and environment empty when the labels are missing', () => {
    const payload = { ...ALERTMANAGER_FIRING, alerts: [{ ...ALERTMANAGER_FIRING.alerts[0]!, labels: { alertname: 'Orphan' } }] };
    expect(fromAlertmanager(alertmanagerPayload.parse(payload), DEFAULT_LABELS)[0]).toMatchObject({ app: null, environment: null, severity: 'unknown', title: 'Error rate above 5%' });
  });

  it('reads a resolved Grafana payload with its end and panel link', () => {
    const [alert] = fromGrafana(grafanaPayload.parse(GRAFANA_RESOLVED), DEFAULT_LABELS);
    expect(alert).toEqual({ source: 'grafana', id: '57c6d9296de2ad39', status: 'resolved', title: 'p95 latency above 300 ms', severity: 'unknown', url: 'https://grafana.example.com/d/web?viewPanel=2', app: 'web', environment: 'production', startsAt: Date.parse('2026-11-24T10:00:00Z'), endsAt: Date.parse('2026-11-24T10:12:00Z') });
  });

  it('reads the generic shape and refuses anything else', () => {
    const generic = genericPayload.parse({ app: 'web', environment: 'production', title: 'Checkout down', severity: 'critical', status: 'firing', url: 'https://status.example.com/1', id: 'inc-1' });
    expect(fromGeneric(generic, 5)[0]).toMatchObject({ source: 'generic', id: 'inc-1', startsAt: 0, endsAt: null });
    expect(genericPayload.safeParse({ app: 'web', title: 'x' }).success).toBe(false);
    expect(alertmanagerPayload.safeParse({ status: 'firing', alerts: [] }).success).toBe(false);
  });
});

describe('alert decisions', () => {
  const fresh: AlertRecord = {
    key: 'k', source: 'generic', id: 'inc-1', title: 'Down', severity: 'critical', url: null, app: 'web', environment: 'production', startsAt: 10 * 60_000, receivedAt: 10 * 60_000,
    status: 'firing', resolvedAt: null, match: { promotionId: 'sg-7', currentVersion: '1.4.2', previousVersion: '1.4.1', deployedAt: 0 }, message: { channel: 'C0PROD', ts: null }, rollback: null,
  };
  const incoming = { source: 'generic', id: 'inc-1', status: 'firing' as const, title: 'Down', severity: 'critical', url: null, app: 'web', environment: 'production', startsAt: 10 * 60_000, endsAt: null };

  it('records a new firing once, notes it in the promotion thread, and ignores redeliveries', () => {
    const first = decideAlert(null, incoming, fresh, null, 11 * 60_000);
    expect(first.kind === 'accept' && first.effects).toEqual([{ type: 'render-alert' }, { type: 'promotion-note', promotionId: 'sg-7', text: ':rotating_light: Alert fired 10 min after the deployment: Down (critical).' }]);
    expect(decideAlert(fresh, incoming, fresh, null, 12 * 60_000)).toEqual({ kind: 'unchanged', reason: 'this firing was already received' });
  });

  it('resolves the same firing in place, once', () => {
    const resolved = decideAlert(fresh, { ...incoming, status: 'resolved', endsAt: 22 * 60_000 }, fresh, null, 23 * 60_000);
    expect(resolved.kind === 'accept' && resolved.next).toMatchObject({ status: 'resolved', resolvedAt: 22 * 60_000 });
    expect(resolved.kind === 'accept' && resolved.audit[0]).toMatchObject({ type: 'alert_resolved', detail: { after: '12 min' } });
    expect(decideAlert({ ...fresh, status: 'resolved' }, { ...incoming, status: 'resolved' }, fresh, null, 0).kind).toBe('unchanged');
    expect(decideAlert(null, { ...incoming, status: 'resolved' }, fresh, null, 0).kind).toBe('unchanged');
  });

  it('rolls back automatically only for severe alerts within the window after a deployment', () => {
    const auto = { severity: 'critical', withinMs: 30 * 60_000 };
    const effects = (r: AlertRecord, policy = auto) => {
      const d = decideAlert(null, incoming, r, policy, 0);
      return d.kind === 'accept' ? d.effects.map((e) => e.type) : [];
    };
    expect(effects(fresh)).toContain('auto-rollback');
    expect(effects({ ...fresh, severity: 'warning' })).not.toContain('auto-rollback');
    expect(effects({ ...fresh, startsAt: 31 * 60_000 })).not.toContain('auto-rollback');
    expect(effects({ ...fresh, match: { ...fresh.match, previousVersion: null } })).not.toContain('auto-rollback');
    expect(severityAtLeast('CRITICAL', 'high')).toBe(true);
    expect(severityAtLeast('mystery', 'info')).toBe(false);
  });
});
