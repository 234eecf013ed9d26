/**
 * Notes are Slack mrkdwn (they mention people as <@U…>). Text that comes from outside
 * (an alert's title, a gate target's answer, a webhook's error, a freeze name, a
 * reason) is escaped with this, wherever it is shown, so it cannot ping @channel,
 * forge a link or break formatting. `&`, `<` and `>` become entities, which makes
 * `<!channel>`, `<!here>` and `<https://…|…>` plain text; a bare `@channel`, `@here`
 * or `@everyone` gets a zero-width space after the `@`, so it stays plain text even
 * for a message sent with `link_names`.
 */
export function escapeMrkdwn(text: string): string {
  // Most names and versions need nothing; a status of hundreds of apps escapes thousands.
  if (!/[&<>@]/.test(text)) return text;
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|everyone)\b/gi, '@\u200b$1');
}
