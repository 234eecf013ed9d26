import type { App, BlockButtonAction } from '@slack/bolt';
import type { Metrics } from '../../metrics.js';
import type { PromotionService, ServiceResult } from '../../service/promotion-service.js';
import { ACTIONS } from '../actions.js';
import { answerSafely } from './answer-safely.js';
import { ephemeral } from '../views/ephemeral.js';

type ButtonHandler = (promotionId: string, user: string) => Promise<ServiceResult>;

/** Approve, Reject, Cancel and Roll back: the button value is the promotion id; everything else is read again and re-authorised. */
export function registerPromotionButtons(app: App, promotions: PromotionService, metrics: Metrics) {
  const handlers: Record<string, ButtonHandler> = {
    [ACTIONS.approve]: (id, user) => promotions.approve(id, user),
    [ACTIONS.reject]: (id, user) => promotions.reject(id, user),
    [ACTIONS.cancel]: (id, user) => promotions.cancel(id, user),
    [ACTIONS.rollback]: (id, user) => promotions.rollbackDeployment(id, user),
    [ACTIONS.rerunGates]: (id, user) => promotions.rerunGates(id, user),
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
