import type { App, BlockButtonAction } from '@slack/bolt';
import type { Metrics } from '../../metrics.js';
import type { RefreshResult, RefreshService } from '../../service/refresh-service.js';
import { ACTIONS } from '../actions.js';
import { ephemeral } from '../views/ephemeral.js';
import { answerSafely } from './answer-safely.js';

/** Approve and Reject on a data refresh message: the value is the refresh id; the click is re-authorised against the dataset's approvers. */
export function registerRefreshButtons(app: App, refreshes: RefreshService, metrics: Metrics) {
  const handlers: Record<string, (id: string, user: string) => Promise<RefreshResult>> = {
    [ACTIONS.refreshApprove]: (id, user) => refreshes.approve(id, user),
    [ACTIONS.refreshReject]: (id, user) => refreshes.reject(id, user),
  };
  for (const [actionId, handle] of Object.entries(handlers)) {
    app.action<BlockButtonAction>({ type: 'block_actions', action_id: actionId }, async ({ ack, body, action, respond, logger }) => {
      await ack();
      const outcome = await answerSafely(() => handle(action.value ?? '', body.user.id), logger);
      metrics.slackRequests.inc({ kind: actionId, outcome: outcome.ok ? 'ok' : 'refused' });
      await respond(ephemeral(outcome.ok ? outcome.reply : outcome.reason));
    });
  }
}
