import type { KnownBlock } from '@slack/types';
import type { Promotion } from '../../domain/promotion.js';
import { ACTIONS } from '../actions.js';
import { clip } from './mrkdwn.js';

/** A progress line in the promotion's thread; after a deployment it carries the Roll back button. */
export function threadNote(p: Pick<Promotion, 'id' | 'app' | 'environment'>, text: string, rollbackTo?: string): { text: string; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: clip(text) } }];
  if (rollbackTo !== undefined) {
    blocks.push({
      type: 'actions',
      block_id: 'rollback_actions',
      elements: [
        {
          type: 'button',
          action_id: ACTIONS.rollback,
          text: { type: 'plain_text', text: `Roll back to ${rollbackTo}`.slice(0, 75) },
          style: 'danger',
          value: p.id,
          confirm: {
            title: { type: 'plain_text', text: 'Roll back?' },
            text: { type: 'plain_text', text: `Roll ${p.app} in ${p.environment} back to ${rollbackTo}, under the rollback policy of ${p.environment}.`.slice(0, 300) },
            confirm: { type: 'plain_text', text: 'Roll back' },
            deny: { type: 'plain_text', text: 'Keep it' },
          },
        },
      ],
    });
  }
  return { text, blocks };
}
