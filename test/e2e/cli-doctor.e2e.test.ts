import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnShipgate } from '../support/child-shipgate.js';
import { FakeSlack } from '../support/fake-slack.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';
import { AUDIT_KEY, BOT_TOKEN } from '../support/start-shipgate.js';

const CONFIG = `slack: { channel: C0DEPLOYS }
apps: { web: { executor: hook } }
environments:
  staging: {}
  production: { from: staging, channel: C0PROD }
executors: { hook: { type: webhook, url: "https://deploy.example.com/hook", secret: "\${DEPLOY_SECRET}" } }
`;

function project(calendar = 'timezone: UTC\n'): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-doctor-'));
  mkdirSync(join(dir, 'calendars'));
  writeFileSync(join(dir, 'shipgate.yml'), CONFIG);
  writeFileSync(join(dir, 'calendars', 'production.yml'), calendar);
  return join(dir, 'shipgate.yml');
}

async function doctor(env: Record<string, string>) {
  const child = spawnShipgate(['doctor'], env);
  const code = await child.exited;
  const lines = child.output().trimEnd().split('\n');
  return { code, lines, fails: lines.filter((l) => l.startsWith('FAIL ')) };
}

describe('shipgate doctor', () => {
  let slack: FakeSlack;
  let env: Record<string, string>;
  beforeEach(async () => {
    slack = await new FakeSlack().start();
    slack.channels = { C0DEPLOYS: { name: 'deploys', is_member: true }, C0PROD: { name: 'prod-deploys', is_member: true } };
    env = {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: 'a-signing-secret',
      SLACK_API_URL: slack.apiUrl,
      SHIPGATE_AUDIT_KEY: AUDIT_KEY,
      SHIPGATE_CONFIG: project(),
      DEPLOY_SECRET: 'a-deploy-secret-0123456789',
      REDIS_URL: TEST_REDIS_URL,
    };
  });
  afterEach(() => slack.close());

  it('says OK to a setup that works, asking Slack who the bot is and whether it is in each channel', async () => {
    const { code, lines } = await doctor(env);
    expect(lines.filter((l) => !l.startsWith('OK ') && !l.startsWith('WARN Redis'))).toEqual([expect.stringMatching(/^doctor: \d+ checks, no FAIL/)]);
    expect(code).toBe(0);
    expect(lines).toEqual(
      expect.arrayContaining([
        'OK   SLACK_BOT_TOKEN is set (xoxb-…)',
        'OK   SHIPGATE_AUDIT_KEY is set and long enough',
        `OK   ${env.SHIPGATE_CONFIG} is valid: 1 app, 2 environments`,
        'OK   DEPLOY_SECRET is set (' + env.SHIPGATE_CONFIG + ' reads it)',
        'OK   Slack accepts SLACK_BOT_TOKEN: bot @shipgate (U0BOT) in workspace Test (T0TEAM)',
        'OK   the token has every scope manifest.yml asks for: commands, chat:write, usergroups:read, channels:read',
        'OK   the bot is a member of #deploys (C0DEPLOYS) (slack.channel)',
        'OK   the bot is a member of #prod-deploys (C0PROD) (environment production)',
      ]),
    );
    expect(lines.some((l) => /^(OK|WARN) +Redis at redis:\/\//.test(l))).toBe(true);
    expect(slack.callsTo('conversations.info').map((c) => c.args.channel)).toEqual(['C0DEPLOYS', 'C0PROD']);
  });

  it('reports every problem at once, each with what to do, and exits 1', async () => {
    const { SLACK_SIGNING_SECRET: _, DEPLOY_SECRET: __, ...rest } = env;
    slack.scopes = ['commands', 'chat:write', 'channels:read', 'files:write'];
    slack.channels = { C0DEPLOYS: { name: 'deploys', is_member: false } };
    const { code, lines, fails } = await doctor({
      ...rest,
      SHIPGATE_AUDIT_KEY: 'too-short',
      SHIPGATE_CONFIG: project('timezone: UTC\nwindows:\n  - days: [someday]\n    start: "09:00"\n    end: "17:00"\n'),
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(code).toBe(1);
    expect(fails).toEqual([
      expect.stringMatching(/^FAIL neither SLACK_SIGNING_SECRET \(HTTP mode\) nor SLACK_APP_TOKEN \(Socket Mode, no public URL needed\) is set: create the Slack app from manifest\.yml/),
      expect.stringMatching(/^FAIL SHIPGATE_AUDIT_KEY is too short \(9 bytes\): set SHIPGATE_AUDIT_KEY to a secret of at least 32 bytes/),
      expect.stringMatching(/^FAIL .*calendars\/production\.yml:3: windows\.0\.days\.0: /),
      expect.stringMatching(/^FAIL DEPLOY_SECRET is not set: .*shipgate\.yml reads it as \$\{DEPLOY_SECRET\}; set it in the environment or in \.env$/),
      expect.stringMatching(/^FAIL Redis at redis:\/\/127\.0\.0\.1:1 does not answer \(.*\): start it \(redis-server --appendonly yes --maxmemory-policy noeviction\) or set REDIS_URL$/),
      expect.stringMatching(/^FAIL the token lacks the scope usergroups:read that manifest\.yml asks for: add it under "OAuth & Permissions" .* and reinstall the app$/),
      'FAIL the bot is not a member of #deploys (C0DEPLOYS) (slack.channel): in Slack, type /invite @shipgate in #deploys',
      'FAIL no channel C0PROD (environment production) is visible to the bot (channel_not_found): check the channel id in the configuration; for a private channel, invite @shipgate first',
    ]);
    expect(lines).toContain('WARN the token also has files:write, which Shipgate does not use: remove it to keep the app\'s access small');
    expect(lines.at(-1)).toBe('doctor: 8 FAIL, 1 WARN: do what each FAIL line says, then run "shipgate doctor" again.');
    expect(lines.join('\n')).not.toContain(BOT_TOKEN);
  });

  it('says when Slack refuses the token, and that scopes and channels could therefore not be checked', async () => {
    slack.tokens = [BOT_TOKEN];
    const { code, lines } = await doctor({ ...env, SLACK_BOT_TOKEN: 'xoxb-revoked-long-ago' });
    expect(code).toBe(1);
    expect(lines).toContain('FAIL Slack refuses SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token (xoxb-…) again from "OAuth & Permissions" of the app, and reinstall the app if it was uninstalled');
    expect(lines).toContain('WARN Slack scopes and channel membership: not checked, because auth.test failed');
    expect(slack.callsTo('conversations.info')).toEqual([]);
  });

  it('without channels:read, says membership could not be checked rather than guessing', async () => {
    slack.scopes = ['commands', 'chat:write', 'usergroups:read'];
    const { code, lines } = await doctor(env);
    expect(code).toBe(1);
    expect(lines).toContain('WARN channel C0DEPLOYS (slack.channel): membership not checked, the token lacks the channels:read scope; add it under "OAuth & Permissions" and reinstall the app');
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^FAIL the token lacks the scope channels:read/)]));
  });
});
