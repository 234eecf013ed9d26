import type { App } from '@slack/bolt';
import { isValidVersion, VERSION_HINT } from '../../domain/version.js';
import type { PromotionService } from '../../service/promotion-service.js';
import { answerSafely } from './answer-safely.js';
import { FIELD, PROMOTE_MODAL, promoteModal } from '../views/promote-modal.js';

/** The modal's submission: field errors go back into the modal; the outcome comes as an ephemeral message. */
export function registerPromoteModal(app: App, promotions: PromotionService) {
  app.view(PROMOTE_MODAL, async ({ ack, view, body, client, logger }) => {
    const values = view.state.values;
    const version = values[FIELD.version]?.[FIELD.version]?.value?.trim() ?? '';
    if (!isValidVersion(version)) {
      return ack({ response_action: 'errors', errors: { [FIELD.version]: `Not a version: ${VERSION_HINT.replace(/`/g, '')}.` } });
    }
    await ack();
    const outcome = await answerSafely(() => promotions.request({
      app: values[FIELD.app]?.[FIELD.app]?.selected_option?.value ?? '',
      environment: values[FIELD.environment]?.[FIELD.environment]?.selected_option?.value ?? '',
      version,
      reason: values[FIELD.reason]?.[FIELD.reason]?.value ?? '',
      requester: body.user.id,
    }), logger);
    await client.chat.postEphemeral({ channel: view.private_metadata, user: body.user.id, text: outcome.ok ? outcome.reply : outcome.reason });
  });
}

export function openPromoteModal(apps: readonly string[], environments: readonly string[]) {
  return (channel: string) => promoteModal(apps, environments, channel);
}
