import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { textOf } from '../support/fake-slack.js';
import { FakeMendix, MENDIX_API_KEY, MENDIX_USER } from '../support/fakes/mendix.js';
import { FakeLifeTime, LIFETIME_TOKEN } from '../support/fakes/outsystems.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice } = PEOPLE;

describe('the Mendix executor, driven by the deploy job', () => {
  let h: Harness;
  let mx: FakeMendix;
  afterEach(async () => {
    await h.close();
    await mx.close();
  });

  async function start(timeout = '15m') {
    mx = await new FakeMendix().start();
    for (const version of ['0.9.0', '1.0.0', '1.1.0']) mx.addPackage(version);
    mx.addEnvironment('Test', '0.9.0', { constants: { 'Orders.ApiUrl': 'https://old.example.com' } });
    h = await startShipgate({
      config: (_deployUrl, prefix) => `
slack: { channel: C0DEPLOYS, usergroup_cache: 1s }
apps:
  web: { executor: mx }
environments:
  development:
    rollback: { approvals: { required: 0, approvers: [${alice}] } }
executors:
  mx:
    type: mendix
    api_url: "${mx.url}"
    username: ${MENDIX_USER}
    api_key: "\${MENDIX_API_KEY}"
    app: acme-web
    environments:
      development: { mode: Test, constants: { Orders.ApiUrl: "https://api.example.com" } }
    poll_every: 100ms
    timeout: ${timeout}
queue: { prefix: "${prefix}", lock_duration: 2s, stalled_interval: 1s }
`,
      env: { MENDIX_API_KEY },
    });
  }

  it('restarts the environment on each version, records it once Started, and rolls back the same way', async () => {
    await start();
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(() => expect(mx.actions('Test')).toEqual(['stop', 'transport', 'settings', 'start']));
    await eventually(async () => expect((await h.shipgate.promotion(message)).deployment?.link).toBe('https://acme-web-test.mendixcloud.com'));
    expect(mx.env('Test').constants.get('Orders.ApiUrl')).toBe('https://api.example.com');
    expect((await h.shipgate.promotion(message)).state).toBe('deploying');
    mx.finishStart('Test');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.0.0'));

    await h.ask(alice, '/promote web 1.1.0 to development', 'C0DEPLOYS');
    await eventually(() => expect(mx.env('Test').job?.status).toBe('Starting'));
    mx.finishStart('Test');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.1.0'));

    await h.slack.command(alice, '/promote rollback web development');
    await eventually(() => expect(mx.env('Test').job?.status).toBe('Starting'));
    expect(mx.calls.filter((c) => c.path.endsWith('/transport')).at(-1)!.body).toEqual({ PackageId: 'pkg-1.0.0' });
    mx.finishStart('Test');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.0.0'));
  });

  it("fails the promotion with Mendix's reason in the thread when the start fails", async () => {
    await start();
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(() => expect(mx.env('Test').job?.status).toBe('Starting'));
    mx.failStart('Test', 'DB_SYNC_FAILED', 'Cannot start app. Synchronization of database failed.');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/Mendix could not start the Test environment with 1\.0\.0: DB_SYNC_FAILED: Cannot start app\. Synchronization of database failed\./));
    expect(await h.shipgate.live('web', 'development')).toBeNull();
  });

  it('fails a start that never ends once the timeout passes, saying that the deployment was a restart', async () => {
    await start('1s');
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'), { timeoutMs: 10_000 });
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/did not finish within .*a Mendix deployment is a restart/s));
  });
});

describe('the OutSystems executor, driven by the deploy job', () => {
  let h: Harness;
  let lt: FakeLifeTime;
  afterEach(async () => {
    await h.close();
    await lt.close();
  });

  /** Development deploys through the harness's webhook; staging through LifeTime, from development's LifeTime environment. */
  async function start(timeout = '15m') {
    lt = await new FakeLifeTime().start();
    for (const version of ['1.0.0', '1.1.0']) lt.tag(version);
    h = await startShipgate({
      config: (deployUrl, prefix) => `
slack: { channel: C0DEPLOYS, usergroup_cache: 1s }
apps:
  web: { executor: os, environments: { development: { executor: hook } } }
environments:
  development: {}
  staging:
    from: development
    rollback: { approvals: { required: 0, approvers: [${alice}] } }
executors:
  hook: { type: webhook, url: "${deployUrl}", secret: "\${DEPLOY_SECRET}", timeout: 2s, attempts: 3, backoff: 50ms }
  os:
    type: outsystems
    url: "${lt.url}"
    token: "\${LIFETIME_TOKEN}"
    application: Orders
    environments: { development: Development, staging: Quality }
    default_source: { staging: Development }
    poll_every: 100ms
    timeout: ${timeout}
queue: { prefix: "${prefix}", lock_duration: 2s, stalled_interval: 1s }
`,
      env: { LIFETIME_TOKEN },
    });
  }

  /** LifeTime runs the Nth plan to staging (Shipgate has created and started it). */
  async function running(n: number) {
    await eventually(() => expect(lt.deploymentsTo('Quality')[n - 1]?.status.DeploymentStatus).toBe('running'));
  }

  async function promote(version: string) {
    await h.ask(alice, `/promote web ${version} to development`, 'C0DEPLOYS');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe(version));
    return h.ask(alice, `/promote web ${version} to staging`, 'C0DEPLOYS');
  }

  it('deploys from the from environment, records the deployment when LifeTime finishes, and rolls back', async () => {
    await start();
    const { message } = await promote('1.0.0');
    await running(1);
    const [plan] = lt.deploymentsTo('Quality');
    expect(plan).toMatchObject({ SourceEnvironmentKey: 'env-dev', ApplicationOperations: [{ ApplicationVersionKey: 'ver-1.0.0' }] });
    await eventually(async () => expect((await h.shipgate.promotion(message)).deployment?.link).toBe(plan!.DetailsURL));
    lt.finish('finished_successful');
    await eventually(async () => expect(await h.shipgate.live('web', 'staging')).toBe('1.0.0'));

    await promote('1.1.0');
    await running(2);
    lt.finish('finished_with_warnings', 'Deployment finished with warnings: 2 modules are outdated.');
    await eventually(async () => expect(await h.shipgate.live('web', 'staging')).toBe('1.1.0'));

    await h.slack.command(alice, '/promote rollback web staging');
    await running(3);
    expect(lt.deploymentsTo('Quality')[2]).toMatchObject({ SourceEnvironmentKey: 'env-dev', ApplicationOperations: [{ ApplicationVersionKey: 'ver-1.0.0' }] });
    lt.finish('finished_successful');
    await eventually(async () => expect(await h.shipgate.live('web', 'staging')).toBe('1.0.0'));
  });

  it("fails the promotion with LifeTime's errors in the thread", async () => {
    await start();
    const { message } = await promote('1.0.0');
    await running(1);
    lt.finish('finished_with_errors', 'Module OrdersCore failed to compile: missing reference to PaymentsAPI.');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/finished with errors: Module OrdersCore failed to compile: missing reference to PaymentsAPI\./));
    expect(await h.shipgate.live('web', 'staging')).toBeNull();
  });

  it('shows a deployment waiting for someone with the platform message, never as a success, and aborts it at the timeout', async () => {
    await start('1s');
    const { message } = await promote('1.0.0');
    await running(1);
    lt.needIntervention('needs_configuration_or_confirmation', 'Site property Orders.PaymentUrl needs a value in Quality.');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'), { timeoutMs: 10_000 });
    await eventually(() =>
      expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/did not finish within .*LifeTime is waiting for someone to act on the deployment \(needs_configuration_or_confirmation\): Site property Orders\.PaymentUrl needs a value in Quality\./s),
    );
    expect(lt.deploymentsTo('Quality')[0]!.status.DeploymentStatus).toBe('aborted');
    expect(await h.shipgate.live('web', 'staging')).toBeNull();
  });
});
