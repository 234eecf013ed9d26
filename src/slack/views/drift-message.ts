import type { KnownBlock } from '@slack/types';
import type { DriftRecord, DriftResolution } from '../../domain/drift.js';
import { ACTIONS } from '../actions.js';
import { clip, escapeMrkdwn, slackDate, user } from './mrkdwn.js';

/** The value of a drift button: which app and environment; everything else is read again on the click. */
export function driftButtonValue(app: string, environment: string): string {
  return `${app}/${environment}`;
}

export function parseDriftButtonValue(value: string): { app: string; environment: string } | null {
  const [app, environment, ...rest] = value.split('/');
  return app && environment && rest.length === 0 ? { app, environment } : null;
}

function resolutionLine(r: DriftResolution, app: string, environment: string): string {
  const v = escapeMrkdwn(r.version);
  switch (r.how) {
    case 'adopted':
      return `:white_check_mark: *Adopted* by ${user(r.user)} ${slackDate(r.at)}: Shipgate now records ${v} as what runs in ${environment}.`;
    case 'rolled_back':
      return `:leftwards_arrow_with_hook: *Rolled back* to ${v} by ${r.promotionId} (seen ${slackDate(r.at)}).`;
    case 'deployed':
      return `:white_check_mark: *Resolved*: Shipgate deployed ${v} over it (${r.promotionId}), seen ${slackDate(r.at)}.`;
    case 'in_sync':
      return `:white_check_mark: *Resolved*: ${escapeMrkdwn(app)} runs ${v} again, as Shipgate recorded (seen ${slackDate(r.at)}).`;
  }
}

/** The drift message: a pure function of the drift record, updated in place until the drift resolves. */
export function driftMessage(d: DriftRecord): { text: string; blocks: KnownBlock[] } {
  const app = escapeMrkdwn(d.app);
  const env = escapeMrkdwn(d.environment);
  const running = escapeMrkdwn(d.running ?? 'unknown');
  const recorded = escapeMrkdwn(d.recorded?.version ?? 'nothing');
  const open = d.state === 'drifted';
  const text = open ? `Drift: ${d.app} in ${d.environment} runs ${d.running}, not ${d.recorded?.version}` : `Drift of ${d.app} in ${d.environment} resolved`;
  const lines = [
    `*Runs now:* ${running}`,
    `*Shipgate deployed:* ${recorded}${d.recorded ? ` (${escapeMrkdwn(d.recorded.promotionId)})` : ''}`,
    `*Last seen in sync:* ${d.lastInSync ? slackDate(d.lastInSync) : 'never'}`,
    `*Detected:* ${d.detectedAt ? slackDate(d.detectedAt) : '—'}`,
  ];
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${open ? 'Drift' : 'Drift resolved'}: ${d.app} in ${d.environment}`, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(lines.join('\n')) } },
  ];
  if (open) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`Something other than Shipgate changed ${app} in ${env}. Nothing is promoted out of ${env} until an approver adopts ${running} or it is rolled back to ${recorded}.`) },
    });
    const value = driftButtonValue(d.app, d.environment);
    blocks.push({
      type: 'actions',
      block_id: 'drift_actions',
      elements: [
        { type: 'button', action_id: ACTIONS.driftAdopt, text: { type: 'plain_text', text: clip(`Adopt ${d.running ?? ''}`, 70) }, style: 'primary', value },
        {
          type: 'button',
          action_id: ACTIONS.driftRollback,
          text: { type: 'plain_text', text: clip(`Roll back to ${d.recorded?.version ?? ''}`, 70) },
          style: 'danger',
          value,
          confirm: {
            title: { type: 'plain_text', text: 'Roll back?' },
            text: { type: 'plain_text', text: clip(`${d.app} ${d.recorded?.version ?? ''} is deployed again to ${d.environment}, replacing ${d.running ?? ''}, under the rollback policy.`, 290) },
            confirm: { type: 'plain_text', text: 'Roll back' },
            deny: { type: 'plain_text', text: 'Not now' },
          },
        },
      ],
    });
  } else if (d.resolution) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(resolutionLine(d.resolution, d.app, d.environment)) } });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `drift ${app}/${env} #${d.episode}` }] });
  return { text, blocks };
}
