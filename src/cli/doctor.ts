import { checkConfiguration } from '../config/check-configuration.js';
import { formatProblem } from '../config/config-error.js';
import type { ShipgateConfig } from '../config/schema.js';
import { readSettings, type Settings } from '../config/settings.js';
import { probeRedis } from '../queue/redis-connection.js';
import { AUDIT_KEY_VARIABLE, AuditKey } from '../store/audit-key.js';
import { fail, ok, warn, type Finding } from './doctor-findings.js';
import { checkSlack, manifestBotScopes } from './doctor-slack.js';
import type { DotEnv } from './dotenv.js';

type Env = Readonly<Record<string, string | undefined>>;
type Report = (f: Finding) => void;

const HOW_TO_CREATE_APP = 'create the Slack app from manifest.yml (README, "Creating the Slack app") and copy it from there';

/**
 * `shipgate doctor`: every check runs, whatever failed before it, and each reports as it
 * finishes. Checks that need something missing say that they were not run, and why.
 */
export async function runDoctor(env: Env, dotenv: DotEnv | null, report: Report): Promise<void> {
  if (dotenv) {
    const kept = dotenv.overridden.length > 0 ? `; ${dotenv.overridden.join(', ')} already set in the environment, which wins` : '';
    report(ok(`read ${dotenv.applied.length} variable${dotenv.applied.length === 1 ? '' : 's'} from ${dotenv.file}${kept}`));
  }
  const settings = settingsReporting(env, report);
  checkSlackVariables(settings, report);
  const key = AuditKey.fromEnvironment(env[AUDIT_KEY_VARIABLE]);
  report(key.ok ? ok(`${AUDIT_KEY_VARIABLE} is set and long enough`) : fail(key.problem));

  const config = checkConfigurationReporting(settings, env, report);

  const redis = await probeRedis(settings.redisUrl);
  const where = redactUrl(settings.redisUrl);
  if (!redis.ok) {
    report(fail(`Redis at ${where} does not answer (${redis.reason}): start it (redis-server --appendonly yes --maxmemory-policy noeviction) or set REDIS_URL`));
  } else {
    if (redis.verdict.problem) report(fail(`Redis at ${where}: ${redis.verdict.problem}`));
    for (const warning of redis.verdict.warnings) report(warn(`Redis at ${where}: ${warning}`));
    if (!redis.verdict.problem && redis.verdict.warnings.length === 0) report(ok(`Redis at ${where} answers, with maxmemory-policy noeviction and persistence on`));
  }

  const token = settings.slack.botToken;
  if (!token?.startsWith('xoxb-')) {
    report(warn('Slack (token, scopes, channels): not checked until SLACK_BOT_TOKEN holds a bot token'));
    return;
  }
  await checkSlack({ token, apiUrl: settings.slack.apiUrl, channels: config ? channelsOf(config) : null, manifestScopes: manifestBotScopes() }, report);
}

/** The settings, reporting each variable that is not usable and reading on without it. */
function settingsReporting(env: Env, report: Report): Settings {
  const read = readSettings(env);
  if (read.ok) return read.settings;
  const unusable = new Set<string>();
  for (const problem of read.problems) {
    const [name] = problem.split(':');
    unusable.add(name ?? '');
    report(fail(`${problem}: fix or unset it (the checks below use its default)`));
  }
  const fallback = readSettings(Object.fromEntries(Object.entries(env).filter(([name]) => !unusable.has(name))));
  if (!fallback.ok) throw new Error(`the defaults of the settings do not validate: ${fallback.problems.join('; ')}`);
  return fallback.settings;
}

function checkSlackVariables(settings: Settings, report: Report): void {
  const { botToken, signingSecret, appToken, apiUrl } = settings.slack;
  if (!botToken) report(fail(`SLACK_BOT_TOKEN is not set: it is the Bot User OAuth Token (xoxb-…); ${HOW_TO_CREATE_APP}`));
  else if (!botToken.startsWith('xoxb-')) report(fail('SLACK_BOT_TOKEN does not look like a bot token (it starts with xoxb-): copy the Bot User OAuth Token from "OAuth & Permissions"'));
  else report(ok('SLACK_BOT_TOKEN is set (xoxb-…)'));
  if (appToken) {
    if (appToken.startsWith('xapp-')) report(ok('SLACK_APP_TOKEN is set: Socket Mode, no public URL needed'));
    else report(fail('SLACK_APP_TOKEN does not look like an app-level token (it starts with xapp-): create one with connections:write under "Basic Information" → App-Level Tokens'));
  } else if (signingSecret) {
    report(ok('SLACK_SIGNING_SECRET is set: HTTP mode, Slack must reach /slack/events (with no public URL, set SLACK_APP_TOKEN for Socket Mode instead)'));
  } else {
    report(fail(`neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode, no public URL needed) is set: ${HOW_TO_CREATE_APP}`));
  }
  if (apiUrl) report(ok(`Slack's Web API is reached at ${apiUrl} (SLACK_API_URL)`));
}

/** The configuration and its calendars, then every secret it reads; the configuration when usable. */
function checkConfigurationReporting(settings: Settings, env: Env, report: Report): ShipgateConfig | null {
  // Unset variables are accepted here, so each is reported once, below, as a missing secret.
  const check = checkConfiguration(settings.configPath, settings.calendarsPath, env, { unsetVariables: 'accept' });
  for (const problem of check.problems) report(fail(formatProblem(problem)));
  if (check.loaded) {
    const { apps, environments } = check.loaded.config;
    report(ok(`${check.file} is valid: ${count(Object.keys(apps).length, 'app')}, ${count(Object.keys(environments).length, 'environment')}`));
    for (const calendar of check.calendars) report(ok(`calendar ${calendar} is valid`));
    if (check.calendars.length === 0 && check.problems.length === 0) report(ok(`no calendar file in ${settings.calendarsPath}: every environment is always open`));
  }
  for (const name of check.variables) {
    if (env[name]) report(ok(`${name} is set (${check.file} reads it)`));
    else report(fail(`${name} is not set: ${check.file} reads it as \${${name}}; set it in the environment or in .env`));
  }
  return check.loaded?.config ?? null;
}

/** Each channel the configuration posts to, with where it is named. */
function channelsOf(config: ShipgateConfig): Map<string, string[]> {
  const channels = new Map<string, string[]>();
  const add = (channel: string, where: string) => channels.set(channel, [...(channels.get(channel) ?? []), where]);
  if (config.slack.channel) add(config.slack.channel, 'slack.channel');
  for (const [name, environment] of Object.entries(config.environments)) if (environment.channel) add(environment.channel, `environment ${name}`);
  return channels;
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
