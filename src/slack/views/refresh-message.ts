import type { KnownBlock } from '@slack/types';
import type { Refresh } from '../../domain/refresh.js';
import { ACTIONS } from '../actions.js';
import { clip, escapeMrkdwn, slackDate, user } from './mrkdwn.js';

const STATE_LINE: Record<Refresh['state'], string> = {
  awaiting_approval: ':hourglass: Waiting for approval',
  copying: ':arrows_counterclockwise: Copying',
  scanning: ':mag: Copied; checking the masking',
  completed: ':white_check_mark: Completed: the masking check passed',
  failed: ':rotating_light: FAILED',
  rejected: ':no_entry: Rejected',
};

/** The refresh message in the target's channel: a pure function of the refresh record. */
export function refreshMessage(r: Refresh): { text: string; blocks: KnownBlock[] } {
  const approvals = r.approvals.length ? r.approvals.map((a) => user(a.user)).join(', ') : 'none yet';
  const lines = [
    `*Dataset:* ${escapeMrkdwn(r.dataset)}   *From:* ${escapeMrkdwn(r.from)} → *To:* ${escapeMrkdwn(r.to)}`,
    `*Masking profile:* ${escapeMrkdwn(r.masking)}`,
    `*Asked by:* ${user(r.requester)} ${slackDate(r.requestedAt)}${r.reason ? `: ${escapeMrkdwn(r.reason)}` : ''}`,
    `*Approvals:* ${approvals} (${r.approvals.length} of ${r.required})`,
    `*State:* ${STATE_LINE[r.state]}${r.rejection ? ` by ${user(r.rejection.user)}` : ''}`,
  ];
  if (r.copy?.link) lines.push(`*Copy:* <${r.copy.link}|the copy run>`);
  if (r.scan) lines.push(`*Masking check:* ${r.scan.passed ? 'passed' : 'failed'}: ${escapeMrkdwn(r.scan.summary)}`);
  if (r.failure) lines.push(`*Why it failed:* ${escapeMrkdwn(r.failure)}`);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`Data refresh: ${r.dataset} from ${r.from} to ${r.to}`, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(lines.join('\n')) } },
  ];
  if (r.state === 'failed') {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`:warning: *${escapeMrkdwn(r.to)} is flagged*: its ${escapeMrkdwn(r.dataset)} data is not known to be masked. Treat it as personal data until a refresh of ${escapeMrkdwn(r.dataset)} into ${escapeMrkdwn(r.to)} passes its check.`) },
    });
  }
  if (r.state === 'awaiting_approval') {
    blocks.push({
      type: 'actions',
      block_id: 'refresh_actions',
      elements: [
        { type: 'button', action_id: ACTIONS.refreshApprove, text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: r.id },
        { type: 'button', action_id: ACTIONS.refreshReject, text: { type: 'plain_text', text: 'Reject' }, style: 'danger', value: r.id },
      ],
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `refresh ${r.id}` }] });
  const text = r.state === 'failed' ? `Data refresh ${r.id} of ${r.dataset} into ${r.to} FAILED` : `Data refresh ${r.id}: ${r.dataset} from ${r.from} to ${r.to} (${r.state.replace('_', ' ')})`;
  return { text, blocks };
}
