import type { App } from '@slack/bolt';
import type { KnownBlock, View } from '@slack/types';
import type { Metrics } from '../../metrics.js';
import type { ServiceResult } from '../../service/promotion-service.js';
import { answerSafely } from './answer-safely.js';
import { parsePromoteCommand, type PromoteCommand } from '../parse-command.js';
import { ephemeral } from '../views/ephemeral.js';
import { HELP_TEXT } from '../views/help.js';

/** A command's answer: a change's result, or a read-only answer with its own blocks (a report). */
export type CommandAnswer = ServiceResult | { ok: true; reply: string; blocks: KnownBlock[] };

/** Runs a parsed command for a user; the listener knows nothing of how. */
export type CommandRunner = (command: Exclude<PromoteCommand, { type: 'help' | 'modal' }>, user: string) => Promise<CommandAnswer>;

export function registerPromoteCommand(app: App, run: CommandRunner, modal: (channel: string) => View, metrics: Metrics) {
  app.command('/promote', async ({ ack, command, respond, client, logger }) => {
    const parsed = parsePromoteCommand(command.text);
    if (!parsed.ok) return ack(ephemeral(parsed.error));
    if (parsed.value.type === 'help') return ack(ephemeral(HELP_TEXT));
    await ack();
    if (parsed.value.type === 'modal') {
      await client.views.open({ trigger_id: command.trigger_id, view: modal(command.channel_id) });
      return;
    }
    const value = parsed.value;
    const outcome = await answerSafely(() => run(value, command.user_id), logger);
    metrics.slackRequests.inc({ kind: parsed.value.type, outcome: outcome.ok ? 'ok' : 'refused' });
    if (!outcome.ok) return void (await respond(ephemeral(outcome.reason)));
    await respond('blocks' in outcome ? { ...ephemeral(outcome.reply), blocks: outcome.blocks } : ephemeral(outcome.reply));
  });
}
