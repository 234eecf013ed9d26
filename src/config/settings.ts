import { dirname, join } from 'node:path';
import { z } from 'zod';

const settingsSchema = z.object({
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_APP_TOKEN: z.string().optional(),
  SLACK_API_URL: z.url().optional(),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  SHIPGATE_CONFIG: z.string().default('./shipgate.yml'),
  SHIPGATE_CALENDARS: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Settings {
  slack: { botToken: string | null; signingSecret: string | null; appToken: string | null; apiUrl: string | null };
  redisUrl: string;
  port: number;
  /** HTTP port of `shipgate worker` for /healthz, /readyz and /metrics (0: any free port). */
  workerPort: number;
  configPath: string;
  /** SHIPGATE_CALENDARS, else the `calendars` folder beside the configuration file. */
  calendarsPath: string;
  logLevel: z.output<typeof settingsSchema>['LOG_LEVEL'];
}

/** Reads the environment once, at the edge; nothing downstream reads process.env. */
export function readSettings(env: Readonly<Record<string, string | undefined>>): { ok: true; settings: Settings } | { ok: false; problems: string[] } {
  const blankAsUnset = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = settingsSchema.safeParse(blankAsUnset);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${describe(i)}`) };
  const e = parsed.data;
  return {
    ok: true,
    settings: {
      slack: { botToken: e.SLACK_BOT_TOKEN ?? null, signingSecret: e.SLACK_SIGNING_SECRET ?? null, appToken: e.SLACK_APP_TOKEN ?? null, apiUrl: e.SLACK_API_URL ?? null },
      redisUrl: e.REDIS_URL,
      port: e.PORT,
      workerPort: e.WORKER_PORT,
      configPath: e.SHIPGATE_CONFIG,
      calendarsPath: e.SHIPGATE_CALENDARS ?? join(dirname(e.SHIPGATE_CONFIG), 'calendars'),
      logLevel: e.LOG_LEVEL,
    },
  };
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.path[0] === 'PORT' || issue.path[0] === 'WORKER_PORT') return 'expected a port number from 0 to 65535';
  if (issue.path[0] === 'LOG_LEVEL') return 'expected one of fatal, error, warn, info, debug, trace, silent';
  if (issue.path[0] === 'SLACK_API_URL') return 'expected a URL such as https://slack.com/api/';
  return issue.message;
}

const HOW_TO_CREATE_APP =
  'Create the Slack app from manifest.yml (https://api.slack.com/apps → Create New App → From an app manifest), install it to your workspace, then copy the Bot User OAuth Token (xoxb-…) from "OAuth & Permissions" and the Signing Secret from "Basic Information".';

/** What a process of this role needs from Slack, as sentences saying how to get it. */
export function missingSlackSettings(settings: Settings, role: 'serve' | 'worker'): string[] {
  const missing: string[] = [];
  const { botToken, signingSecret, appToken } = settings.slack;
  if (!botToken) missing.push('SLACK_BOT_TOKEN is not set (the bot token, xoxb-…).');
  else if (!botToken.startsWith('xoxb-')) missing.push('SLACK_BOT_TOKEN does not look like a bot token (it starts with xoxb-).');
  if (role === 'serve' && !signingSecret && !appToken) missing.push('SLACK_SIGNING_SECRET is not set (it verifies that requests come from Slack).');
  if (role === 'serve' && appToken && !appToken.startsWith('xapp-')) missing.push('SLACK_APP_TOKEN does not look like an app-level token (it starts with xapp-).');
  if (missing.length > 0) missing.push(HOW_TO_CREATE_APP);
  return missing;
}
