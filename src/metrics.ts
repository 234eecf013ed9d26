import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one process, served on /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'shipgate_' });
  const slackRequests = new Counter({ name: 'shipgate_slack_requests_total', help: 'Slack commands and clicks handled, by kind and outcome.', labelNames: ['kind', 'outcome'], registers: [registry] });
  const alertToRollback = new Histogram({
    name: 'shipgate_alert_to_rollback_seconds',
    help: 'Time from an alert starting to fire until the rollback of the deployment it was blamed on was deployed.',
    labelNames: ['automatic'],
    buckets: [30, 60, 120, 300, 600, 900, 1800, 3600, 7200],
    registers: [registry],
  });
  const driftDetected = new Counter({ name: 'shipgate_drift_detected_total', help: 'Drifts detected: what runs differed from what Shipgate deployed.', labelNames: ['app', 'environment'], registers: [registry] });
  const driftDetection = new Histogram({
    name: 'shipgate_drift_detection_seconds',
    help: 'Time from the last moment an app was known to run what Shipgate deployed until its drift was detected.',
    labelNames: ['app', 'environment'],
    buckets: [1, 10, 60, 300, 600, 1800, 3600, 21600, 86400],
    registers: [registry],
  });
  const commitConflicts = new Counter({
    name: 'shipgate_commit_conflicts_total',
    help: 'Commits that met a concurrent change to the same record or audit chain and decided again, by kind (create, transition).',
    labelNames: ['kind'],
    registers: [registry],
  });
  return { registry, slackRequests, commitConflicts, alertToRollback, driftDetected, driftDetection };
}

export type Metrics = ReturnType<typeof createMetrics>;
