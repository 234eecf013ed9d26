import type { App, BlockButtonAction } from '@slack/bolt';
import type { Metrics } from '../../metrics.js';
import type { DriftService } from '../../service/drift-service.js';
import type { ServiceResult } from '../../service/promotion-service.js';
import { ACTIONS } from '../actions.js';
import { parseDriftButtonValue } from '../views/drift-message.js';
import { ephemeral } from '../views/ephemeral.js';
import { answerSafely } from './answer-safely.js';

type DriftHandler = (app: string, environment: string, user: string) => Promise<ServiceResult>;

/** Adopt and Roll back on a drift message: the value names the app and environment; the drift is read again and the click re-authorised. */
export function registerDriftButtons(app: App, drift: DriftService, metrics: Metrics) {
  const handlers: Record<string, DriftHandler> = {
    [ACTIONS.driftAdopt]: (a, env, user) => drift.adopt(a, env, user),
    [ACTIONS.driftRollback]: (a, env, user) => drift.rollback(a, env, user),
  };
  for (const [actionId, handle] of Object.entries(handlers)) {
    app.action<BlockButtonAction>({ type: 'block_actions', action_id: actionId }, async ({ ack, body, action, respond, logger }) => {
      await ack();
      const target = parseDriftButtonValue(action.value ?? '');
      const outcome: ServiceResult = target ? await answerSafely(() => handle(target.app, target.environment, body.user.id), logger) : { ok: false, reason: 'This button names no app and environment; use `/promote status` instead.' };
      metrics.slackRequests.inc({ kind: actionId, outcome: outcome.ok ? 'ok' : 'refused' });
      await respond(ephemeral(outcome.ok ? outcome.reply : outcome.reason));
    });
  }
}
