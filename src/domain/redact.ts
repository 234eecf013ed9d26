/**
 * Text from a deploy target or a gate target can echo what it was sent: a token, a
 * password, the signing secret. Before such text is shown to people, logged or
 * written to the audit log, anything that looks like a credential is replaced and
 * the text is cut to a length a person reads. Every pattern here is linear (no
 * nested quantifiers), so a hostile answer cannot make redaction slow.
 */
export const REDACTED = '[redacted]';

/** The longest error detail shown: enough for a vendor's sentence, too short to dump a page. */
export const MAX_SHOWN_DETAIL = 300;

const PATTERNS: [RegExp, string][] = [
  // `Authorization: Bearer …`, `Basic …`, and tokens after the word "bearer".
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9\-._~+/]{8,}=*/gi, `$1 ${REDACTED}`],
  // Slack tokens: bot, user, app, config, refresh and legacy workspace tokens.
  [/\bxox[a-z]-[A-Za-z0-9-]+/gi, REDACTED],
  [/\bxapp-[A-Za-z0-9-]+/gi, REDACTED],
  // `password=…`, `"token": "…"`, `api_key: …` in query strings, JSON and YAML alike.
  [/\b(pass(?:word|wd)?|pwd|secret|token|api[_-]?key|access[_-]?key|client[_-]?secret|authorization)(["']?\s{0,4}[=:]\s{0,4}["']?)[^\s"'&,;}<>]+/gi, `$1$2${REDACTED}`],
  // Credentials written into a URL: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]{0,20}:\/\/)[^/\s:@]{1,256}:[^/\s@]{1,256}@/gi, `$1${REDACTED}@`],
];

/**
 * TEXT with credentials replaced: the given SECRETS wherever they appear, then the
 * common shapes above. Whitespace runs become one space; the result is at most MAX
 * characters, with an ellipsis when cut.
 */
export function redactSecrets(text: string, secrets: readonly string[] = [], max = MAX_SHOWN_DETAIL): string {
  let shown = text;
  for (const secret of secrets) if (secret.length >= 4) shown = shown.split(secret).join(REDACTED);
  for (const [pattern, replacement] of PATTERNS) shown = shown.replace(pattern, replacement);
  shown = shown.replace(/\s+/g, ' ').trim();
  return shown.length <= max ? shown : `${shown.slice(0, max - 1)}…`;
}

/** `https://user:password@host/…` → `https://host/…`; only the authority part is looked at. */
export function withoutUserinfo(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#@]*@/, '$1');
}
