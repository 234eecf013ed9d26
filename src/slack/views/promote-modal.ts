import type { View } from '@slack/types';

export const PROMOTE_MODAL = 'promote_modal';
export const FIELD = { app: 'app', version: 'version', environment: 'environment', reason: 'reason' } as const;

const options = (names: readonly string[]) => names.map((n) => ({ text: { type: 'plain_text' as const, text: n }, value: n }));

/** `/promote` with no text: the same fields as the command. The channel it was typed in rides in private_metadata. */
export function promoteModal(apps: readonly string[], environments: readonly string[], channel: string): View {
  return {
    type: 'modal',
    callback_id: PROMOTE_MODAL,
    private_metadata: channel,
    title: { type: 'plain_text', text: 'Promote' },
    submit: { type: 'plain_text', text: 'Ask' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'input', block_id: FIELD.app, label: { type: 'plain_text', text: 'App' }, element: { type: 'static_select', action_id: FIELD.app, options: options(apps) } },
      { type: 'input', block_id: FIELD.version, label: { type: 'plain_text', text: 'Version' }, element: { type: 'plain_text_input', action_id: FIELD.version, placeholder: { type: 'plain_text', text: '1.4.2' } } },
      { type: 'input', block_id: FIELD.environment, label: { type: 'plain_text', text: 'To environment' }, element: { type: 'static_select', action_id: FIELD.environment, options: options(environments) } },
      { type: 'input', block_id: FIELD.reason, optional: true, label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: FIELD.reason, multiline: true } },
    ],
  };
}
