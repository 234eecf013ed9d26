import type { View } from '@slack/types';
import type { CalendarReport } from '../../service/calendar-report.js';
import { clip, escapeMrkdwn, slackDate } from './mrkdwn.js';
import { statusText, type AppStatus } from './status.js';

/** One line per environment with a calendar: open or closed now, and when that changes. */
function windowLine(r: CalendarReport): string {
  if (r.zone === null) return `• ${r.environment}: no calendar, always open`;
  if (r.decision.open) return `• ${r.environment}: :large_green_circle: open${r.nextClose ? `, closes ${slackDate(r.nextClose)}` : ''}`;
  return `• ${r.environment}: :red_circle: closed (${escapeMrkdwn(r.decision.reason)})${r.nextOpen ? `, next window ${slackDate(r.nextOpen)}` : ', no window within a year'}`;
}

/** App Home: per app and environment, what runs and what waits, and each environment's next window. */
export function appHome(apps: AppStatus[], windows: CalendarReport[]): View {
  return {
    type: 'home',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'What runs where' } },
      ...apps.map((app) => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text: clip(statusText([app])) } })).slice(0, 40),
      { type: 'header', text: { type: 'plain_text', text: 'Release windows' } },
      { type: 'section', text: { type: 'mrkdwn', text: clip(windows.map(windowLine).join('\n') || 'No environments.') } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Ask for a promotion with `/promote APP VERSION to ENV`; `/promote help` for more.' }] },
    ],
  };
}
