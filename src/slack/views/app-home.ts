import type { View } from '@slack/types';
import { clip } from './mrkdwn.js';
import { statusText, type AppStatus } from './status.js';

/** App Home: per app and environment, what runs and what waits. */
export function appHome(apps: AppStatus[]): View {
  return {
    type: 'home',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'What runs where' } },
      ...apps.map((app) => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text: clip(statusText([app])) } })).slice(0, 45),
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Ask for a promotion with `/promote APP VERSION to ENV`; `/promote help` for more.' }] },
    ],
  };
}
