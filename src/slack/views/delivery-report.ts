import type { KnownBlock } from '@slack/types';
import { humanSeconds, percent, type ReportRow } from '../../domain/delivery-report.js';

function days(ms: number): string {
  const d = ms / 86_400_000;
  return Number.isInteger(d) ? `${d} days` : `${Math.round(ms / 3_600_000)} hours`;
}

/** The answer to `/promote report`: one short section per environment, under a header naming the period. */
export function deliveryReportMessage(rows: ReportRow[], app: string | null, sinceMs: number): { text: string; blocks: KnownBlock[] } {
  const title = `Delivery of ${app ?? 'every app'} over the last ${days(sinceMs)}`;
  const lines = rows.map(
    (r) =>
      `*${r.environment}*: ${r.deployments} deployment${r.deployments === 1 ? '' : 's'}` +
      `${r.failedDeployments > 0 ? ` (${r.failedDeployments} failed)` : ''}` +
      ` · lead time p50 ${humanSeconds(r.leadTimeP50)}` +
      ` · change failure rate ${percent(r.changeFailureRate)}` +
      ` · time to restore p50 ${humanSeconds(r.timeToRestoreP50)}`,
  );
  return {
    text: `${title}\n${lines.join('\n')}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${title}*` } },
      // Slack takes 50 blocks a message.
      ...lines.slice(0, 47).map((text): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } })),
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Computed from stored promotions and alerts; the same figures as /metrics. `shipgate report --csv` for a spreadsheet.' }] },
    ],
  };
}
