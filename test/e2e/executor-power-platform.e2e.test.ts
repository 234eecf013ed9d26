import { afterEach, describe, expect, it } from 'vitest';
import { STAGE_RUN_STATUS } from '../../src/executors/power-platform-executor.js';
import { eventually } from '../support/eventually.js';
import { textOf } from '../support/fake-slack.js';
import { FakePowerPlatform, PP_CLIENT_ID, PP_CLIENT_SECRET, PP_TENANT } from '../support/fakes/power-platform.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice } = PEOPLE;
const STAGING_DB = 'Server=staging-sql;Password=st4ging-db-pass';
const PROD_DB = 'Server=prod-sql;Password=pr0d-db-pass';

/** Staging and production deploy through one pipeline; production takes from staging and checks its settings. */
function configFor(pp: FakePowerPlatform, timeout = '15m') {
  return (_deployUrl: string, prefix: string) => `
slack: { channel: C0DEPLOYS, usergroup_cache: 1s }
apps:
  web:
    executor: pp
    environments:
      staging:
        settings:
          environment_variables: { contoso_ApiUrl: "https://staging-api.example.com", contoso_DbUrl: "\${STAGING_DB}" }
          connection_references: { contoso_sharedsql: conn-staging }
      production:
        settings:
          environment_variables: { contoso_ApiUrl: "https://api.example.com", contoso_DbUrl: "\${PROD_DB}" }
          connection_references: { contoso_sharedsql: conn-staging }
          must_differ: [contoso_DbUrl]
environments:
  staging:
    rollback: { approvals: { required: 0, approvers: [${alice}] } }
  production:
    from: staging
    gates: [settings]
gates:
  settings: { type: settings, required: [contoso_ApiUrl] }
executors:
  pp:
    type: power-platform
    url: "${pp.url}"
    tenant: "\${AZURE_TENANT_ID}"
    client_id: "\${AZURE_CLIENT_ID}"
    client_secret: "\${AZURE_CLIENT_SECRET}"
    token_url: "${pp.tokenUrl}"
    pipeline: "Contoso release"
    solution: ContosoCore
    stages: { staging: "Deploy to Test", production: "Deploy to Prod" }
    poll_every: 100ms
    timeout: ${timeout}
queue: { prefix: "${prefix}", lock_duration: 2s, stalled_interval: 1s }
`;
}

describe('the Power Platform executor, driven by the deploy job', () => {
  let h: Harness;
  let pp: FakePowerPlatform;
  afterEach(async () => {
    await h.close();
    await pp.close();
  });

  async function start(options: { timeout?: string; prodDb?: string } = {}) {
    pp = await new FakePowerPlatform().start();
    pp.addPipeline('Contoso release', ['Deploy to Test', 'Deploy to Prod']);
    h = await startShipgate({
      config: configFor(pp, options.timeout),
      env: { AZURE_TENANT_ID: PP_TENANT, AZURE_CLIENT_ID: PP_CLIENT_ID, AZURE_CLIENT_SECRET: PP_CLIENT_SECRET, STAGING_DB, PROD_DB: options.prodDb ?? PROD_DB },
    });
  }

  /** Plays the pipeline until VERSION runs in ENV. */
  async function deployed(version: string, env: string) {
    await eventually(async () => {
      pp.autopilot();
      expect(await h.shipgate.live('web', env)).toBe(version);
    });
  }

  it('validates, deploys with the environment settings, shows which settings differ (names only), and audits their hash', async () => {
    await start();
    await h.ask(alice, '/promote web 1.0.0 to staging', 'C0DEPLOYS');
    await eventually(() => expect(pp.actionCalls('ValidatePackageAsync')).toHaveLength(1));
    expect(JSON.parse(pp.runs[0]!.deploymentsettingsjson!).EnvironmentVariables).toContainEqual({ SchemaName: 'contoso_DbUrl', Value: STAGING_DB });
    await deployed('1.0.0', 'staging');

    const { message } = await h.ask(alice, '/promote web 1.0.0 to production', 'C0DEPLOYS');
    await deployed('1.0.0', 'production');
    const run = pp.runs[1]!;
    expect(JSON.parse(run.deploymentsettingsjson!)).toEqual({
      EnvironmentVariables: [
        { SchemaName: 'contoso_ApiUrl', Value: 'https://api.example.com' },
        { SchemaName: 'contoso_DbUrl', Value: PROD_DB },
      ],
      ConnectionReferences: [{ LogicalName: 'contoso_sharedsql', ConnectionId: 'conn-staging' }],
    });
    // Production redeploys the artifact staging exported, not a new export.
    expect(run._artifactid_value).toBe(pp.runs[0]!._artifactid_value);

    // The message is re-rendered after the deployment; wait for the render that shows the settled gate.
    const shown = await eventually(() => {
      const text = [h.fake.refreshed(message), ...h.fake.thread(message)].map(textOf).join('\n');
      expect(text).toMatch(/:white_check_mark: \*settings\*/);
      return text;
    });
    expect(shown).toMatch(/Settings that differ from staging\*: `contoso_ApiUrl`, `contoso_DbUrl`/);
    expect(shown).not.toMatch(/contoso_sharedsql|api\.example\.com|pr0d-db-pass|st4ging-db-pass/);

    const audit = await h.shipgate.auditEntriesOf('web', 'production');
    const asked = audit.find((e) => e.type === 'requested')!;
    expect((asked.detail as Record<string, unknown>).settings_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await h.shipgate.auditEntries())).not.toMatch(/pr0d-db-pass|st4ging-db-pass|api\.example\.com/);
    expect((await h.shipgate.promotion(message)).settings).toEqual({ hash: (asked.detail as { settings_hash: string }).settings_hash, differs: ['contoso_ApiUrl', 'contoso_DbUrl'] });
  });

  it('blocks a promotion whose must-differ setting holds the value of the environment it comes from', async () => {
    await start({ prodDb: STAGING_DB });
    await h.ask(alice, '/promote web 1.0.0 to staging', 'C0DEPLOYS');
    await deployed('1.0.0', 'staging');
    const { message } = await h.ask(alice, '/promote web 1.0.0 to production', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('blocked'));
    const text = textOf(h.fake.refreshed(message));
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/:x: \*settings\*: `contoso_DbUrl` has the same value in production as in staging \(must differ\)/));
    expect(text).not.toMatch(/st4ging-db-pass/);
    expect(pp.runs).toHaveLength(1);
  });

  it("fails the promotion with the host's words when validation fails", async () => {
    await start();
    const { message } = await h.ask(alice, '/promote web 1.0.0 to staging', 'C0DEPLOYS');
    await eventually(() => expect(pp.actionCalls('ValidatePackageAsync')).toHaveLength(1));
    pp.failValidation(pp.runs[0]!.deploymentstagerunid, 'Missing dependency: contoso_Base 2.0.0 is not installed in the target environment.');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/validation of ContosoCore 1\.0\.0 failed: Missing dependency: contoso_Base 2\.0\.0/));
    expect(pp.actionCalls('DeployPackageAsync')).toHaveLength(0);
    expect(await h.shipgate.live('web', 'staging')).toBeNull();
  });

  it('fails at once on a Dataverse error that retrying cannot fix, with its code and message in the thread', async () => {
    await start();
    pp.failures.set('/ValidatePackageAsync', { status: 400, code: '0x80040265', message: 'The solution ContosoCore was not found in the development environment.' });
    const { message } = await h.ask(alice, '/promote web 1.0.0 to staging', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/0x80040265 The solution ContosoCore was not found in the development environment/));
  });

  it('fails a stage run that never finishes within the timeout', async () => {
    await start({ timeout: '1s' });
    const { message } = await h.ask(alice, '/promote web 1.0.0 to staging', 'C0DEPLOYS');
    await eventually(() => expect(pp.actionCalls('ValidatePackageAsync')).toHaveLength(1));
    pp.passValidation(pp.runs[0]!.deploymentstagerunid);
    await eventually(() => expect(pp.actionCalls('DeployPackageAsync')).toHaveLength(1));
    pp.setStatus(pp.runs[0]!.deploymentstagerunid, STAGE_RUN_STATUS.PendingApproval);
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/did not finish within 1 second \(last seen: waiting for an approval in Power Platform\)/));
  });

  it('rolls back by redeploying the earlier artifact', async () => {
    await start();
    await h.ask(alice, '/promote web 1.0.0 to staging', 'C0DEPLOYS');
    await deployed('1.0.0', 'staging');
    await h.ask(alice, '/promote web 1.1.0 to staging', 'C0DEPLOYS');
    await deployed('1.1.0', 'staging');
    const first = pp.runs[0]!._artifactid_value;

    await h.slack.command(alice, '/promote rollback web staging');
    await eventually(() => expect(pp.runs).toHaveLength(3));
    expect(pp.runs[2]).toMatchObject({ artifactversion: '1.0.0', _artifactid_value: first });
    await deployed('1.0.0', 'staging');
  });
});
