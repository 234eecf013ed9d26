import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STARTER_CALENDAR, STARTER_CONFIG } from './starter-files.js';

export type InitOutcome = { ok: true; written: string[] } | { ok: false; existing: string[] };

/** Writes the starter configuration into DIR; refuses, writing nothing, if a file exists and FORCE is off. */
export function writeStarter(dir: string, force: boolean): InitOutcome {
  const files = [
    { path: join(dir, 'shipgate.yml'), text: STARTER_CONFIG },
    { path: join(dir, 'calendars', 'production.yml'), text: STARTER_CALENDAR },
  ];
  const existing = files.filter((f) => existsSync(f.path)).map((f) => f.path);
  if (existing.length > 0 && !force) return { ok: false, existing };
  mkdirSync(join(dir, 'calendars'), { recursive: true });
  for (const f of files) writeFileSync(f.path, f.text);
  return { ok: true, written: files.map((f) => f.path) };
}

export function nextSteps(dir: string): string {
  const config = join(dir, 'shipgate.yml');
  return `Next:
  1. Edit ${config}: your channel id, apps, approvers and deploy webhook.
  2. Create the Slack app from manifest.yml and set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET
     (or SLACK_APP_TOKEN for Socket Mode), SHIPGATE_AUDIT_KEY (openssl rand -hex 32) and
     DEPLOY_WEBHOOK_SECRET, in the environment or in a .env file in the working directory.
  3. Run "shipgate check-config ${config}", then "shipgate doctor", then "shipgate start".`;
}
