import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/config/check-configuration.js';
import { formatProblem } from '../../src/config/config-error.js';
import { readSettings } from '../../src/config/settings.js';

function project(config: string, calendars: Record<string, string>): { file: string; calendars: string } {
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-check-'));
  mkdirSync(join(dir, 'calendars'));
  writeFileSync(join(dir, 'shipgate.yml'), config);
  for (const [name, text] of Object.entries(calendars)) writeFileSync(join(dir, 'calendars', name), text);
  return { file: join(dir, 'shipgate.yml'), calendars: join(dir, 'calendars') };
}

describe('checking the configuration and its calendars together', () => {
  it('still checks the calendars of a configuration that does not validate, including one it names', () => {
    const { file, calendars } = project('slack: { channel: C0DEPLOYS }\napps: {}\nenvironments:\n  production: { calendar: release }\n  staging: { calendar: gone }\n', { 'release.yml': 'timezone: UTC\nwindows: yes\n' });
    const check = checkConfiguration(file, calendars, {});
    expect(check.loaded).toBeNull();
    expect(check.problems.map(formatProblem)).toEqual([
      `${file}:2: apps: declare at least one app`,
      `${calendars}/release.yml:2: windows: expected a list`,
      `${calendars}/gone.yml: environment staging names calendar "gone", but there is no such file`,
    ]);
  });

  it('accepts unset variables when asked, judging only the values that are set, and lists every variable read', () => {
    const text = 'slack: { channel: C0DEPLOYS }\napps: { web: { executor: hook } }\nenvironments: { production: {} }\nexecutors: { hook: { type: webhook, url: "${URL}", secret: "${SECRET}" } }\n';
    const { file, calendars } = project(text, {});
    const accepted = checkConfiguration(file, calendars, {}, { unsetVariables: 'accept' });
    expect({ problems: accepted.problems, variables: accepted.variables, apps: Object.keys(accepted.loaded!.config.apps) }).toEqual({ problems: [], variables: ['URL', 'SECRET'], apps: ['web'] });
    const judged = checkConfiguration(file, calendars, { URL: 'not a url' }, { unsetVariables: 'accept' });
    expect(judged.problems.map((p) => p.path)).toEqual(['executors.hook.url']);
  });
});

describe('settings', () => {
  it('look for the calendars beside the configuration file unless SHIPGATE_CALENDARS says otherwise', () => {
    const calendarsOf = (env: Record<string, string>) => (readSettings(env) as { ok: true; settings: { calendarsPath: string } }).settings.calendarsPath;
    expect(calendarsOf({})).toBe('calendars');
    expect(calendarsOf({ SHIPGATE_CONFIG: '/etc/shipgate/shipgate.yml' })).toBe('/etc/shipgate/calendars');
    expect(calendarsOf({ SHIPGATE_CONFIG: '/etc/shipgate/shipgate.yml', SHIPGATE_CALENDARS: '/srv/calendars' })).toBe('/srv/calendars');
  });

  it('read WORKER_PORT, 3001 by default, and say what a bad port should be', () => {
    expect(readSettings({})).toMatchObject({ ok: true, settings: { port: 3000, workerPort: 3001 } });
    expect(readSettings({ WORKER_PORT: '0' })).toMatchObject({ ok: true, settings: { workerPort: 0 } });
    expect(readSettings({ WORKER_PORT: 'http' })).toEqual({ ok: false, problems: ['WORKER_PORT: expected a port number from 0 to 65535'] });
  });
});
