import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, spawnShipgate, type SpawnOptions } from '../support/child-shipgate.js';

async function run(args: string[], env: Record<string, string> = {}, options: SpawnOptions = {}) {
  const child = spawnShipgate(args, env, options);
  const code = await child.exited;
  return { code, output: child.output() };
}

const folder = (name: string) => mkdtempSync(join(tmpdir(), `shipgate-${name}-`));

const COMMANDS = ['init', 'doctor', 'check-config', 'start', 'serve', 'worker', 'calendar', 'audit', 'help'];

describe('shipgate --help and --version', () => {
  it('lists every command, and each answers --help with its usage and exit 0', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    for (const command of COMMANDS) expect(top.output).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    const helps = await Promise.all(COMMANDS.map(async (command) => ({ command, ...(await run([command, '--help'])) })));
    for (const { command, code, output } of helps) expect({ command, code, usage: output.split('\n')[0] }).toEqual({ command, code: 0, usage: expect.stringMatching(new RegExp(`^Usage: shipgate ${command}\\b`)) });
    expect(helps.find((h) => h.command === 'check-config')!.output).toMatch(/--no-env +validate without the secrets/);
    expect(await run(['help', 'check-config'])).toEqual(await run(['check-config', '-h']));
  }, 60_000);

  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(await run(['--version'])).toEqual({ code: 0, output: `${version}\n` });
  });

  it('still refuses an unknown option with exit 2, naming it and where to read about the options', async () => {
    expect(await run(['check-config', '--frobnicate'])).toEqual({ code: 2, output: 'shipgate: Unknown option "--frobnicate" for shipgate check-config. Run "shipgate check-config --help" for its options.\n' });
    expect(await run(['--frobnicate'])).toEqual({ code: 2, output: 'shipgate: Unknown option "--frobnicate". Run "shipgate --help" for the commands and their options.\n' });
    expect(await run(['doctor', 'now'])).toMatchObject({ code: 2, output: expect.stringMatching(/shipgate doctor does not take "now"/) });
  });
});

describe('shipgate init', () => {
  it('writes a commented starter that check-config accepts, with or without the secrets at hand', async () => {
    const dir = folder('init');
    const init = await run(['init', '--dir', dir]);
    expect(init.code).toBe(0);
    expect(init.output).toContain(`wrote ${join(dir, 'shipgate.yml')}\nwrote ${join(dir, 'calendars', 'production.yml')}\nNext:`);
    expect(readFileSync(join(dir, 'shipgate.yml'), 'utf8')).toMatch(/^# Shipgate configuration/);
    expect(readFileSync(join(dir, 'calendars', 'production.yml'), 'utf8')).toMatch(/^# Release calendar of production/);

    const config = join(dir, 'shipgate.yml');
    expect(await run(['check-config', config, '--no-env'])).toEqual({
      code: 0,
      output: `${config}: valid (1 app, 3 environments)\n${join(dir, 'calendars', 'production.yml')}: valid\nneeds these environment variables at run time (not checked, --no-env): DEPLOY_WEBHOOK_SECRET\n`,
    });
    expect(await run(['check-config', config], { DEPLOY_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length' })).toMatchObject({ code: 0 });
    expect(await run(['calendar', 'production', '--at', '2026-12-19T10:00:00Z'], { SHIPGATE_CONFIG: config, DEPLOY_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length' })).toMatchObject({
      code: 0,
      output: expect.stringMatching(/^production at 2026-12-19T10:00:00\+00:00: CLOSED: freeze: Weekend/),
    });
  });

  it('writes into the working directory by default, and overwrites nothing without --force', async () => {
    const dir = folder('init-cwd');
    expect((await run(['init'], {}, { cwd: dir })).code).toBe(0);
    writeFileSync(join(dir, 'shipgate.yml'), '# mine\n');
    const again = await run(['init'], {}, { cwd: dir });
    expect(again).toEqual({ code: 1, output: 'Not written: shipgate.yml and calendars/production.yml already exist. Run "shipgate init --force" to overwrite, or choose another folder with --dir.\n' });
    expect(readFileSync(join(dir, 'shipgate.yml'), 'utf8')).toBe('# mine\n');
    expect((await run(['init', '--force'], {}, { cwd: dir })).code).toBe(0);
    expect(readFileSync(join(dir, 'shipgate.yml'), 'utf8')).toMatch(/^# Shipgate configuration/);
  });
});

const VALID = 'slack: { channel: C0DEPLOYS }\napps: { web: { executor: hook } }\nenvironments: { production: {} }\nexecutors: { hook: { type: webhook, url: "https://deploy.example.com/hook", secret: "${HOOK_SECRET}" } }\n';

function project(config: string, calendars: Record<string, string> = {}): { dir: string; config: string } {
  const dir = folder('project');
  mkdirSync(join(dir, 'calendars'));
  writeFileSync(join(dir, 'shipgate.yml'), config);
  for (const [file, text] of Object.entries(calendars)) writeFileSync(join(dir, 'calendars', file), text);
  return { dir, config: join(dir, 'shipgate.yml') };
}

describe('shipgate check-config', () => {
  it('reports every problem of the configuration and of its calendars in one run, cross-references included', async () => {
    const { dir, config } = project(
      'slack: { channel: C0DEPLOYS }\napps: { web: { executor: nowhere } }\nenvironments:\n  staging: { from: nope }\n  production:\n    approvals: { required: two, approvers: [S0REL] }\nexecutors: { hook: { type: webhook, url: "https://x.example", secret: "${HOOK_SECRET}" } }\n',
      { 'production.yml': 'timezone: Mars/Olympus\nwindows:\n  - days: [mon]\n    start: "25:00"\n    end: "17:00"\n', 'staging.yml': 'timezone: UTC\nics: [missing.ics]\n' },
    );
    const { code, output } = await run(['check-config', config]);
    expect(code).toBe(1);
    expect(output.split('\n')).toEqual([
      `${config}: NOT VALID, 8 problems:`,
      `  ${config}:2: apps.web.executor: no executor called "nowhere"`,
      `  ${config}:4: environments.staging.from: no environment called "nope"`,
      `  ${config}:6: environments.production.approvals.required: expected a number`,
      `  ${config}:7: environment variable HOOK_SECRET is not set (the configuration reads it with \${HOOK_SECRET})`,
      expect.stringMatching(new RegExp(`^  ${dir}/calendars/staging\\.yml:2: ics\\.0: cannot read .*missing\\.ics: no such file$`)),
      expect.stringMatching(new RegExp(`^  ${dir}/calendars/production\\.yml:1: timezone: `)),
      `  ${dir}/calendars/production.yml:4: windows.0.start: expected a local time such as "09:00" (quote it in YAML)`,
      `  ${dir}/calendars/production.yml:4: windows.0.start: expected a time no later than 24:00`,
      'reads these environment variables: HOOK_SECRET',
      '',
    ]);
  });

  it('with --no-env, takes every ${NAME} as set, does not judge those values, and lists the variables needed', async () => {
    const { config } = project(VALID.replace('"https://deploy.example.com/hook"', '"${DEPLOY_URL}"'));
    const withoutEnv = await run(['check-config', config]);
    expect(withoutEnv.code).toBe(1);
    expect(withoutEnv.output).toMatch(/environment variable DEPLOY_URL is not set[\s\S]*environment variable HOOK_SECRET is not set/);
    expect(await run(['check-config', '--no-env', config])).toEqual({
      code: 0,
      output: `${config}: valid (1 app, 1 environment)\nneeds these environment variables at run time (not checked, --no-env): DEPLOY_URL, HOOK_SECRET\n`,
    });
    // A value that is set is still judged.
    const short = await run(['check-config', '--no-env', config], { HOOK_SECRET: 'short' });
    expect(short.code).toBe(1);
    expect(short.output).toMatch(/executors\.hook\.secret: expected a secret of at least 16 characters/);
  });

  it('takes the file as an argument over SHIPGATE_CONFIG, and says how to get one when it is missing', async () => {
    const { config } = project(VALID);
    expect((await run(['check-config', config, '--no-env'], { SHIPGATE_CONFIG: '/nonexistent/shipgate.yml' })).code).toBe(0);
    const missing = await run(['check-config'], {}, { cwd: folder('empty') });
    expect(missing).toEqual({ code: 1, output: './shipgate.yml: NOT VALID, 1 problem:\n  ./shipgate.yml: file not found (write a starter with "shipgate init", copy shipgate.example.yml, or set SHIPGATE_CONFIG)\n' });
  });
});

describe('a .env file in the working directory', () => {
  it('is read when present, and the real environment wins over it', async () => {
    const { dir } = project(VALID);
    writeFileSync(join(dir, '.env'), '# local settings\nHOOK_SECRET="a-secret-from-dot-env-0123"\nSHIPGATE_CONFIG=./shipgate.yml\n');
    expect(await run(['check-config'], {}, { cwd: dir })).toMatchObject({ code: 0, output: expect.stringMatching(/^\.\/shipgate\.yml: valid/) });
    const overridden = await run(['check-config'], { HOOK_SECRET: 'too-short' }, { cwd: dir });
    expect(overridden.code).toBe(1);
    expect(overridden.output).toMatch(/executors\.hook\.secret: expected a secret of at least 16 characters/);
  });
});
