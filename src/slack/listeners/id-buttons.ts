import type { App, BlockButtonAction } from '@slack/bolt';
import type { Metrics } from '../../metrics.js';
import { ephemeral } from '../views/ephemeral.js';
import { answerSafely } from './answer-safely.js';

type Answer = { ok: true; reply: string } | { ok: false; reason: string };

/** A button whose value is the id of what it acts on; the handler reads that again and re-authorises the click. */
export type IdButtonHandler<T extends Answer> = (id: string, user: string) => Promise<T>;

/** Acks at once, runs the handler, counts the outcome and answers the clicker alone. */
export function registerIdButtons<T extends Answer>(app: App, handlers: Record<string, IdButtonHandler<T>>, metrics: Metrics): void {
  for (const [actionId, handle] of Object.entries(handlers)) {
    app.action<BlockButtonAction>({ type: 'block_actions', action_id: actionId }, async ({ ack, body, action, respond, logger }) => {
      await ack();
      const outcome: Answer = await answerSafely(() => handle(action.value ?? '', body.user.id), logger);
      metrics.slackRequests.inc({ kind: actionId, outcome: outcome.ok ? 'ok' : 'refused' });
      await respond(ephemeral(outcome.ok ? outcome.reply : outcome.reason));
    });
  }
}
