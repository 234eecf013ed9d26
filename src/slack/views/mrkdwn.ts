export { escapeMrkdwn } from '../../domain/slack-text.js';

/** A person as a mention; Shipgate itself (automatic actions) by name. */
export function user(id: string): string {
  return /^[UW][A-Z0-9]+$/.test(id) ? `<@${id}>` : `_${id}_`;
}

/** A date Slack shows in each reader's own time zone, with a UTC fallback. */
export function slackDate(at: number): string {
  // A status of hundreds of apps shows hundreds of dates; the ISO string is already UTC, and a tenth of dayjs's cost.
  const date = new Date(at);
  const fallback = Number.isNaN(date.getTime()) ? 'Invalid Date' : date.toISOString().slice(0, 16).replace('T', ' ');
  return `<!date^${Math.floor(at / 1000)}^{date_short_pretty} {time}|${fallback} UTC>`;
}

/** Slack refuses section texts over 3,000 characters. */
export function clip(text: string, max = 2900): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
