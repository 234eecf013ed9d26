import { readFileSync } from 'node:fs';
import { ErrorCode, LogLevel, WebClient, type Logger } from '@slack/web-api';
import { parse } from 'yaml';
import { fail, ok, warn, type Finding } from './doctor-findings.js';

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };

/** The bot scopes manifest.yml asks for (it sits beside package.json), or null when it cannot be read. */
export function manifestBotScopes(): string[] | null {
  try {
    const manifest = parse(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8')) as { oauth_config?: { scopes?: { bot?: unknown } } };
    const scopes = manifest.oauth_config?.scopes?.bot;
    return Array.isArray(scopes) ? scopes.map(String) : null;
  } catch {
    return null;
  }
}

/** Slack's own error code, or the reason the call did not reach Slack. */
function slackFailure(error: unknown): { slackError: string | null; needed: string | null; reason: string } {
  const e = error as { code?: string; data?: { error?: string; needed?: string }; original?: Error & { cause?: Error }; message?: string };
  if (e.code === ErrorCode.PlatformError && e.data?.error) return { slackError: e.data.error, needed: e.data.needed ?? null, reason: e.data.error };
  // fetch says only "fetch failed"; its cause names the refused connection or the unknown host.
  return { slackError: null, needed: null, reason: e.original?.cause?.message ?? e.original?.message ?? e.message ?? String(error) };
}

export interface SlackCheck {
  token: string;
  apiUrl: string | null;
  /** Each configured channel id, with where the configuration uses it. */
  channels: Map<string, string[]> | null;
  manifestScopes: string[] | null;
}

/** auth.test (token and scopes), then conversations.info for every configured channel. */
export async function checkSlack(check: SlackCheck, report: (f: Finding) => void): Promise<void> {
  const client = new WebClient(check.token, { ...(check.apiUrl ? { slackApiUrl: check.apiUrl } : {}), retryConfig: { retries: 0 }, timeout: 5_000, logger: SILENT });
  let bot: { name: string; scopes: string[] | null };
  try {
    const auth = await client.auth.test();
    bot = { name: auth.user ?? 'shipgate', scopes: auth.response_metadata?.scopes ?? null };
    report(ok(`Slack accepts SLACK_BOT_TOKEN: bot @${bot.name} (${auth.user_id}) in workspace ${auth.team} (${auth.team_id})`));
  } catch (error) {
    const { slackError, reason } = slackFailure(error);
    if (slackError) {
      report(fail(`Slack refuses SLACK_BOT_TOKEN (${slackError}): copy the Bot User OAuth Token (xoxb-…) again from "OAuth & Permissions" of the app, and reinstall the app if it was uninstalled`));
    } else {
      report(fail(`Slack cannot be reached at ${check.apiUrl ?? 'https://slack.com/api/'} (${reason}): check the network, a proxy, or SLACK_API_URL`));
    }
    report(warn('Slack scopes and channel membership: not checked, because auth.test failed'));
    return;
  }

  reportScopes(bot.scopes, check.manifestScopes, report);

  if (!check.channels) {
    report(warn('channel membership: not checked until the configuration is valid'));
    return;
  }
  for (const [channel, usedBy] of check.channels) {
    const where = `(${usedBy.join(', ')})`;
    try {
      const info = await client.conversations.info({ channel });
      const name = info.channel?.name ? `#${info.channel.name}` : channel;
      if (info.channel?.is_archived) report(fail(`channel ${name} (${channel}) ${where} is archived: unarchive it or put another channel id in the configuration`));
      else if (info.channel?.is_member) report(ok(`the bot is a member of ${name} (${channel}) ${where}`));
      else report(fail(`the bot is not a member of ${name} (${channel}) ${where}: in Slack, type /invite @${bot.name} in ${name}`));
    } catch (error) {
      const { slackError, needed, reason } = slackFailure(error);
      if (slackError === 'channel_not_found') {
        report(fail(`no channel ${channel} ${where} is visible to the bot (channel_not_found): check the channel id in the configuration; for a private channel, invite @${bot.name} first`));
      } else if (slackError === 'missing_scope') {
        report(warn(`channel ${channel} ${where}: membership not checked, the token lacks the ${needed ?? 'channels:read'} scope; add it under "OAuth & Permissions" and reinstall the app`));
      } else {
        report(fail(`channel ${channel} ${where}: conversations.info failed (${reason})`));
      }
    }
  }
}

function reportScopes(granted: string[] | null, wanted: string[] | null, report: (f: Finding) => void): void {
  if (!wanted) {
    report(warn('scopes: not compared, manifest.yml could not be read'));
    return;
  }
  if (!granted) {
    report(warn(`scopes: Slack did not list the token's scopes (no x-oauth-scopes header); make sure it has ${wanted.join(', ')}`));
    return;
  }
  const missing = wanted.filter((s) => !granted.includes(s));
  const extra = granted.filter((s) => !wanted.includes(s));
  if (missing.length > 0) {
    report(fail(`the token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that manifest.yml asks for: add ${missing.length > 1 ? 'them' : 'it'} under "OAuth & Permissions" → Bot Token Scopes (or paste manifest.yml again) and reinstall the app`));
  } else {
    report(ok(`the token has every scope manifest.yml asks for: ${wanted.join(', ')}`));
  }
  if (extra.length > 0) report(warn(`the token also has ${extra.join(', ')}, which Shipgate does not use: remove ${extra.length > 1 ? 'them' : 'it'} to keep the app's access small`));
}
