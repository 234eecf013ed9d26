import type { KnownBlock } from '@slack/types';
import { minutesBetween, type AlertRecord } from '../../domain/alerts.js';
import { ACTIONS } from '../actions.js';
import { clip, escapeMrkdwn, slackDate } from './mrkdwn.js';

/** The alert message: a pure function of the alert record and the time. */
export function alertMessage(a: AlertRecord): { text: string; blocks: KnownBlock[] } {
  const where = a.app && a.environment ? `${a.app} in ${a.environment}` : 'an unknown app or environment';
  const icon = a.status === 'resolved' ? ':white_check_mark:' : ':rotating_light:';
  const title = `${icon} ${a.status === 'resolved' ? 'Resolved' : 'Alert'}: ${a.title}`;
  const lines = [`*${escapeMrkdwn(title)}*`, `*Severity:* ${escapeMrkdwn(a.severity)} · *Where:* ${escapeMrkdwn(where)}`];
  if (a.url && /^https?:\/\//.test(a.url)) lines.push(`<${a.url.replace(/[<>|]/g, encodeURIComponent)}|Open in ${escapeMrkdwn(a.source)}>`);
  const started = a.startsAt || a.receivedAt;
  const m = a.match;
  if (m.promotionId && m.deployedAt !== null) {
    lines.push(`Fired ${minutesBetween(m.deployedAt, started)} after ${escapeMrkdwn(m.currentVersion ?? '?')} was deployed (${m.promotionId}).`);
  } else {
    lines.push(m.currentVersion ? `Current version: ${escapeMrkdwn(m.currentVersion)}; no deployment to blame.` : 'No deployment is recorded there.');
  }
  if (a.status === 'resolved' && a.resolvedAt !== null) lines.push(`Resolved after ${minutesBetween(started, a.resolvedAt)}.`);
  if (a.rollback?.deployedAt) {
    lines.push(`:leftwards_arrow_with_hook: Rolled back to ${escapeMrkdwn(a.rollback.version)} (${a.rollback.promotionId}${a.rollback.automatic ? ', automatically' : ''}) ${slackDate(a.rollback.deployedAt)}.`);
  }
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: clip(lines.join('\n')) } }];
  if (m.promotionId && m.previousVersion && !a.rollback?.deployedAt) {
    blocks.push({
      type: 'actions',
      block_id: 'alert_actions',
      elements: [
        {
          type: 'button',
          action_id: ACTIONS.rollback,
          style: 'danger',
          text: { type: 'plain_text', text: `Roll back to ${m.previousVersion}`.slice(0, 75) },
          value: m.promotionId,
          confirm: {
            title: { type: 'plain_text', text: 'Roll back?' },
            text: { type: 'plain_text', text: `Roll ${a.app} in ${a.environment} back to ${m.previousVersion}, under the rollback policy of ${a.environment}.`.slice(0, 300) },
            confirm: { type: 'plain_text', text: 'Roll back' },
            deny: { type: 'plain_text', text: 'Keep it' },
          },
        },
      ],
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `alert ${escapeMrkdwn(a.key)} · received ${slackDate(a.receivedAt)}` }] });
  // The fallback text is mrkdwn too, and it is what notifications show.
  return { text: escapeMrkdwn(title), blocks };
}
