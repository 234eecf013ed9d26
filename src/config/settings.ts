import { z } from 'zod';

const settingsSchema = z.object({
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_APP_TOKEN: z.string().optional(),
  SLACK_API_URL: z.url().optional(),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  SHIPGATE_CONFIG: z.string().default('./shipgate.yml'),
  SHIPGATE_CALENDARS: z.string().default('./calendars'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Settings {
  slack: { botToken: string | null; signingSecret: string | null; appToken: string | null; apiUrl: string | null };
  redisUrl: string;
  port: number;
  configPath: string;
  calendarsPath: string;
  logLevel: z.output<typeof settingsSchema>['LOG_LEVEL'];
}

/** Reads the environment once, at the edge; nothing downstream reads process.env. */
export function readSettings(env: Readonly<Record<string, string | undefined>>): { ok: true; settings: Settings } | { ok: false; problems: string[] } {
  const blankAsUnset = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = settingsSchema.safeParse(blankAsUnset);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  const e = parsed.data;
  return {
    ok: true,
    settings: {
      slack: { botToken: e.SLACK_BOT_TOKEN ?? null, signingSecret: e.SLACK_SIGNING_SECRET ?? null, appToken: e.SLACK_APP_TOKEN ?? null, apiUrl: e.SLACK_API_URL ?? null },
      redisUrl: e.REDIS_URL,
      port: e.PORT,
      configPath: e.SHIPGATE_CONFIG,
      calendarsPath: e.SHIPGATE_CALENDARS,
      logLevel: e.LOG_LEVEL,
    },
  };
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
