/**
 * Notes are Slack mrkdwn (they mention people as <@U…>). Text that comes from outside
 * (a gate target's answer, a webhook's error, a freeze name) is escaped with this, so
 * it cannot ping @channel, forge a link or break formatting.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
