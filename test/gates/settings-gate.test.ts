import { describe, expect, it } from 'vitest';
import { appSettingsSchema, environmentSettings } from '../../src/config/app-settings.js';
import { parseConfig } from '../../src/config/load-config.js';
import { settingsFactsFor, settingsFor, toPolicy } from '../../src/config/to-policy.js';
import { createGate } from '../../src/gates/create-gate.js';
import { settingsThatDiffer } from '../../src/domain/settings.js';
import type { SoakFacts } from '../../src/gates/soak-gate.js';

const noSoak: SoakFacts = { deployed: async () => null, alertsSince: async () => 0 };

function loaded(production: string, gate = '{ type: settings }') {
  return parseConfig(
    `
slack: { channel: C0DEPLOYS }
apps:
  web:
    executor: hook
    environments:
      staging: { settings: { constants: { MyModule.ApiUrl: "https://staging-api", MyModule.DbUrl: "\${STAGING_DB}" } } }
      production: { settings: ${production} }
environments:
  staging: {}
  production: { from: staging, gates: [settings] }
gates:
  settings: ${gate}
executors:
  hook: { type: webhook, url: "https://deploy.example.com/hook", secret: "0123456789abcdef0123" }
`,
    'shipgate.yml',
    { STAGING_DB: 'db-staging', PROD_DB: 'db-prod' },
  ).config;
}

async function verdict(production: string, gate?: string) {
  const config = loaded(production, gate);
  return createGate(config.gates.settings!, noSoak, settingsFactsFor(config)).run({ promotionId: 'p1', app: 'web', version: '1.0.0', environment: 'production', now: 0, signal: AbortSignal.timeout(1000) });
}

describe('the settings gate', () => {
  it('passes when required settings are set and must-differ values differ', async () => {
    const result = await verdict('{ constants: { MyModule.ApiUrl: "https://api", MyModule.DbUrl: "${PROD_DB}" }, must_differ: [MyModule.DbUrl] }', '{ type: settings, required: [MyModule.ApiUrl] }');
    expect(result).toMatchObject({ status: 'passed' });
  });

  it('fails when a required setting is missing, from the gate or from the settings block', async () => {
    expect(await verdict('{ constants: { MyModule.DbUrl: "${PROD_DB}" } }', '{ type: settings, required: [MyModule.ApiUrl] }')).toMatchObject({
      status: 'failed',
      summary: expect.stringMatching(/^production does not set `MyModule.ApiUrl`/),
    });
    expect(await verdict('{ constants: { MyModule.DbUrl: "${PROD_DB}" }, required: [MyModule.Secret] }')).toMatchObject({ status: 'failed', summary: expect.stringMatching(/does not set `MyModule.Secret`/) });
  });

  it('fails when a must-differ setting holds the value of the environment promoted from, without showing it', async () => {
    const result = await verdict('{ constants: { MyModule.ApiUrl: "https://api", MyModule.DbUrl: "${STAGING_DB}" }, must_differ: [MyModule.DbUrl] }');
    expect(result).toMatchObject({ status: 'failed', summary: expect.stringMatching(/`MyModule.DbUrl` has the same value in production as in staging \(must differ\)/) });
    expect(JSON.stringify(result)).not.toMatch(/db-staging/);
  });
});

describe('environment settings in shipgate.yml', () => {
  it('accepts every platform kind, reads ${NAME}, and gives the executor the target values only', () => {
    const config = loaded('{ environment_variables: { contoso_Url: "${PROD_DB}" }, connection_references: { contoso_sql: conn-1 }, site_properties: { Timeout: 30 } }');
    expect(settingsFor(config, 'web', 'production')).toEqual({ environment_variables: { contoso_Url: 'db-prod' }, connection_references: { contoso_sql: 'conn-1' }, site_properties: { Timeout: '30' } });
    expect(settingsFor(config, 'web', 'development')).toBeUndefined();
  });

  it('refuses a name set under two kinds', () => {
    expect(appSettingsSchema.safeParse({ constants: { A: '1' }, site_properties: { A: '2' } }).success).toBe(false);
  });

  it('hashes values without keeping them, and tells which names differ', () => {
    const a = environmentSettings(appSettingsSchema.parse({ constants: { A: '1', B: 'x' } }))!;
    const b = environmentSettings(appSettingsSchema.parse({ constants: { A: '2', B: 'x', C: 'y' } }))!;
    expect(a.hash).not.toBe(b.hash);
    expect(JSON.stringify(a)).not.toMatch(/"1"|"x"/);
    expect(settingsThatDiffer(a, b)).toEqual(['A', 'C']);
    const policy = toPolicy(loaded('{ constants: { MyModule.ApiUrl: "https://staging-api" } }'), 'h');
    expect(policy.apps.get('web')!.settings!.get('production')!.fingerprints).toHaveProperty(['MyModule.ApiUrl']);
  });
});
