import { Gauge, Histogram, type Registry } from 'prom-client';
import type { DeliveryFigures } from './domain/delivery-figures.js';

/** What one scrape reads from Redis: the delivery figures and the job counts of each queue. */
export interface DeliverySnapshot {
  figures: DeliveryFigures;
  queues: { queue: string; counts: Record<string, number> }[];
  /** The last `shipgate audit verify`, or null before the first. */
  audit: { at: number; ok: boolean } | null;
}

/** Seconds: a minute to a week. */
const DURATION_BUCKETS = [60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 259200, 604800];
const PAIR = ['app', 'environment'] as const;

/**
 * Metrics computed at scrape time from stored facts, so every replica reports the same
 * numbers and a restart loses nothing. One read serves every metric of a scrape: the
 * collectors of one scrape run together and share the read in flight. Registered once
 * per registry (serve and worker in one process share it).
 */
export function registerDeliveryMetrics(registry: Registry, read: () => Promise<DeliverySnapshot>): void {
  if (registry.getSingleMetric('shipgate_deployments_total')) return;
  let inFlight: Promise<DeliverySnapshot> | null = null;
  // A scrape while Redis is away still answers with the process metrics; these series are left out.
  const snapshot = async (): Promise<DeliverySnapshot> => {
    inFlight ??= read().finally(() => {
      inFlight = null;
    });
    return inFlight.catch(() => ({ figures: { pairs: [], approvalsPending: new Map() }, queues: [], audit: null }));
  };
  const registers = [registry];

  new Gauge({
    name: 'shipgate_deployments_total',
    help: 'Deployments that ended within the metrics window (metrics.window, default 30d), by kind (promote, rollback, emergency) and outcome (succeeded, failed).',
    labelNames: [...PAIR, 'kind', 'outcome'],
    registers,
    async collect() {
      const { figures } = await snapshot();
      this.reset();
      for (const p of figures.pairs) for (const d of p.deployments) this.set({ app: p.app, environment: p.environment, kind: d.kind, outcome: d.outcome }, d.count);
    },
  });
  new Gauge({
    name: 'shipgate_emergency_deployments_total',
    help: 'Emergency deployments (calendar bypassed) that succeeded within the metrics window.',
    labelNames: PAIR,
    registers,
    async collect() {
      const { figures } = await snapshot();
      this.reset();
      for (const p of figures.pairs) this.set({ app: p.app, environment: p.environment }, p.deployments.find((d) => d.kind === 'emergency' && d.outcome === 'succeeded')?.count ?? 0);
    },
  });
  const histogram = (name: string, help: string, values: (p: DeliveryFigures['pairs'][number]) => number[]) =>
    new Histogram({
      name,
      help,
      labelNames: PAIR,
      buckets: DURATION_BUCKETS,
      registers,
      async collect() {
        const { figures } = await snapshot();
        this.reset();
        for (const p of figures.pairs) for (const v of values(p)) this.observe({ app: p.app, environment: p.environment }, v);
      },
    });
  histogram('shipgate_lead_time_seconds', 'Seconds from the request of a promotion to its deployment, for promote and emergency deployments that succeeded within the metrics window.', (p) => p.leadTimes);
  histogram('shipgate_time_to_restore_seconds', 'Seconds from the first alert blamed on a deployment (or its failure, or else the rollback request) to its rollback deployed, for rollbacks deployed within the metrics window.', (p) => p.restoreTimes);
  // shipgate_drift_detection_seconds is observed by drift detection itself (src/metrics.ts).
  new Gauge({
    name: 'shipgate_change_failure_rate',
    help: 'Share (0 to 1) of promote and emergency deployments ended within the metrics window that failed, were rolled back, or had an alert blamed on them within metrics.failure_window.',
    labelNames: PAIR,
    registers,
    async collect() {
      const { figures } = await snapshot();
      this.reset();
      for (const p of figures.pairs) if (p.changes > 0) this.set({ app: p.app, environment: p.environment }, p.failedChanges / p.changes);
    },
  });
  new Gauge({
    name: 'shipgate_failed_promotions_total',
    help: 'Promotions blocked by a gate or whose deployment failed within the metrics window, by whether a deployment of the same app and environment followed within slo.resolve_failed_within (within_slo), later (late), or not yet (open).',
    labelNames: [...PAIR, 'resolved'],
    registers,
    async collect() {
      const { figures } = await snapshot();
      this.reset();
      for (const p of figures.pairs) for (const [resolved, count] of Object.entries(p.failedPromotions)) this.set({ app: p.app, environment: p.environment, resolved }, count);
    },
  });
  new Gauge({
    name: 'shipgate_approvals_pending',
    help: 'Promotions waiting for approvals now, per environment.',
    labelNames: ['environment'],
    registers,
    async collect() {
      const { figures } = await snapshot();
      this.reset();
      for (const [environment, count] of figures.approvalsPending) this.set({ environment }, count);
    },
  });
  new Gauge({
    name: 'shipgate_audit_verification_ok',
    help: '1 when the last `shipgate audit verify` found every audit chain intact, 0 when it did not; no series before the first.',
    registers,
    async collect() {
      const { audit } = await snapshot();
      this.reset();
      if (audit) this.set(audit.ok ? 1 : 0);
    },
  });
  new Gauge({
    name: 'shipgate_audit_verification_timestamp_seconds',
    help: 'When the last `shipgate audit verify` ran (Unix seconds); no series before the first.',
    registers,
    async collect() {
      const { audit } = await snapshot();
      this.reset();
      if (audit) this.set(audit.at / 1000);
    },
  });
  new Gauge({
    name: 'shipgate_queue_jobs',
    help: 'Jobs in each BullMQ queue, by state (waiting, active, delayed, failed, prioritized, waiting-children).',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      const { queues } = await snapshot();
      this.reset();
      for (const q of queues) for (const [state, count] of Object.entries(q.counts)) this.set({ queue: q.queue, state }, count);
    },
  });
}
