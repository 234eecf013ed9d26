import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one process, served on /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'shipgate_' });
  const slackRequests = new Counter({ name: 'shipgate_slack_requests_total', help: 'Slack commands and clicks handled, by kind and outcome.', labelNames: ['kind', 'outcome'], registers: [registry] });
  return { registry, slackRequests };
}

export type Metrics = ReturnType<typeof createMetrics>;
