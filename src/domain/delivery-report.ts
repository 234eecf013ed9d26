import type { DeliveryFigures, PairFigures } from './delivery-figures.js';

/** One line of `shipgate report` and `/promote report`: the delivery figures of some apps in one environment. */
export interface ReportRow {
  /** The app, or null when the row sums every app of the environment. */
  app: string | null;
  environment: string;
  /** Deployments that ended in the period, every kind and outcome. */
  deployments: number;
  failedDeployments: number;
  rollbacks: number;
  /** Median seconds from request to deployed; null without a successful deployment. */
  leadTimeP50: number | null;
  /** 0 to 1; null without a deployment. */
  changeFailureRate: number | null;
  /** Median seconds from the trouble to the rollback deployed; null without a rollback. */
  timeToRestoreP50: number | null;
  failedPromotionsOpen: number;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function rowOf(app: string | null, environment: string, pairs: PairFigures[]): ReportRow {
  const deployments = pairs.flatMap((p) => p.deployments);
  const changes = pairs.reduce((n, p) => n + p.changes, 0);
  return {
    app,
    environment,
    deployments: deployments.reduce((n, d) => n + d.count, 0),
    failedDeployments: deployments.filter((d) => d.outcome === 'failed').reduce((n, d) => n + d.count, 0),
    rollbacks: deployments.filter((d) => d.kind === 'rollback').reduce((n, d) => n + d.count, 0),
    leadTimeP50: median(pairs.flatMap((p) => p.leadTimes)),
    changeFailureRate: changes === 0 ? null : pairs.reduce((n, p) => n + p.failedChanges, 0) / changes,
    timeToRestoreP50: median(pairs.flatMap((p) => p.restoreTimes)),
    failedPromotionsOpen: pairs.reduce((n, p) => n + p.failedPromotions.open, 0),
  };
}

/**
 * Rows per environment, in the order given: for one app when `app` is set, else summed
 * over every app; only `environment` when it is set.
 */
export function reportRows(figures: DeliveryFigures, environments: readonly string[], filter: { app: string | null; environment: string | null }): ReportRow[] {
  return environments
    .filter((env) => filter.environment === null || env === filter.environment)
    .map((env) => rowOf(filter.app, env, figures.pairs.filter((p) => p.environment === env && (filter.app === null || p.app === filter.app))));
}

const CSV_COLUMNS: (keyof ReportRow)[] = ['app', 'environment', 'deployments', 'failedDeployments', 'rollbacks', 'leadTimeP50', 'changeFailureRate', 'timeToRestoreP50', 'failedPromotionsOpen'];
const CSV_HEADER = 'app,environment,deployments,failed_deployments,rollbacks,lead_time_p50_seconds,change_failure_rate,time_to_restore_p50_seconds,failed_promotions_open';

/** Names are [a-z0-9_-] (the configuration says so): no cell needs quoting. Empty cells: no figure. */
export function reportCsv(rows: ReportRow[]): string {
  return [CSV_HEADER, ...rows.map((r) => CSV_COLUMNS.map((c) => (r[c] === null ? (c === 'app' ? '*' : '') : String(r[c]))).join(','))].join('\n') + '\n';
}

/** `1 h 5 min`, `12 min`, `2 d 3 h`; `n/a` without a figure. */
export function humanSeconds(seconds: number | null): string {
  if (seconds === null) return 'n/a';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `${Math.floor(minutes / 1440)} d ${Math.floor((minutes % 1440) / 60)} h`;
}

export function percent(rate: number | null): string {
  return rate === null ? 'n/a' : `${Math.round(rate * 1000) / 10}%`;
}
