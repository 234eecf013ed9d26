import { humanSeconds, percent, reportCsv, type ReportRow } from '../domain/delivery-report.js';

export type ReportFormat = 'text' | 'json' | 'csv';

/** `shipgate report` output: JSON (one object), CSV (a header and one line per environment) or aligned text. */
export function formatReport(rows: ReportRow[], format: ReportFormat, period: { since: string; from: string; to: string }): string {
  if (format === 'json') return `${JSON.stringify({ ...period, rows })}\n`;
  if (format === 'csv') return reportCsv(rows);
  const lines = rows.map(
    (r) =>
      `${(r.app ? `${r.app} ${r.environment}` : r.environment).padEnd(24)} ${String(r.deployments).padStart(4)} deployments (${r.failedDeployments} failed, ${r.rollbacks} rollbacks)  ` +
      `lead time p50 ${humanSeconds(r.leadTimeP50)}  change failure rate ${percent(r.changeFailureRate)}  time to restore p50 ${humanSeconds(r.timeToRestoreP50)}  open failures ${r.failedPromotionsOpen}`,
  );
  return `Delivery from ${period.from} to ${period.to} (${period.since}):\n${lines.join('\n')}\n`;
}
