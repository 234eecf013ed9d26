import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeployError, type AsyncExecutor, type DeployRequest } from '../../src/executors/executor.js';
import { createPowerPlatformExecutor, powerPlatformExecutorSchema, STAGE_RUN_STATUS } from '../../src/executors/power-platform-executor.js';
import { FakePowerPlatform, PP_CLIENT_ID, PP_CLIENT_SECRET, PP_TENANT } from '../support/fakes/power-platform.js';

const pp = new FakePowerPlatform();
beforeAll(async () => void (await pp.start()));
afterAll(async () => pp.close());
beforeEach(() => {
  pp.reset();
  pp.addPipeline('Contoso release', ['Deploy to Test', 'Deploy to Prod']);
});

function executor(secret = PP_CLIENT_SECRET): AsyncExecutor {
  const config = powerPlatformExecutorSchema.parse({
    type: 'power-platform',
    url: pp.url,
    tenant: PP_TENANT,
    client_id: PP_CLIENT_ID,
    client_secret: secret,
    token_url: pp.tokenUrl,
    pipeline: 'Contoso release',
    solution: 'ContosoCore',
    stages: { staging: 'Deploy to Test', production: 'Deploy to Prod' },
  });
  return createPowerPlatformExecutor(config, { now: () => Date.now() });
}

function request(version: string, extra: Partial<DeployRequest> = {}): DeployRequest {
  return { promotion_id: `sg-${version}`, kind: 'promote', app: 'web', version, environment: 'production', previous_version: null, requested_by: 'UALICE', approved_by: ['UBOB'], reason: '', ...extra };
}

const failure = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as DeployError);

describe('the Power Platform executor', () => {
  it('creates a stage run with the environment settings, validates, deploys once validated, and follows stagerunstatus to success', async () => {
    const artifact = pp.addArtifact('ContosoCore', '1.4.2');
    const power = executor();
    const settings = { environment_variables: { contoso_ApiUrl: 'https://api.example.com' }, connection_references: { contoso_sharedsql: 'conn-prod-1' } };
    const { handle, link } = await power.start(request('1.4.2', { settings }));

    expect(pp.runs).toHaveLength(1);
    const run = pp.runs[0]!;
    expect(link).toBe(`${pp.url}/main.aspx?pagetype=entityrecord&etn=deploymentstagerun&id=${run.deploymentstagerunid}`);
    expect(run).toMatchObject({ name: 'Shipgate sg-1.4.2', artifactname: 'ContosoCore', artifactversion: '1.4.2', _artifactid_value: artifact });
    expect(JSON.parse(run.deploymentsettingsjson!)).toEqual({
      EnvironmentVariables: [{ SchemaName: 'contoso_ApiUrl', Value: 'https://api.example.com' }],
      ConnectionReferences: [{ LogicalName: 'contoso_sharedsql', ConnectionId: 'conn-prod-1' }],
    });
    expect(pp.actionCalls('ValidatePackageAsync')).toHaveLength(1);
    expect(pp.tokenRequests[0]).toMatchObject({ grant_type: 'client_credentials', client_id: PP_CLIENT_ID, scope: `${pp.url}/.default` });

    expect(await power.status(handle)).toMatchObject({ state: 'running', detail: 'validating the package' });
    expect(pp.actionCalls('DeployPackageAsync')).toHaveLength(0);
    pp.passValidation(run.deploymentstagerunid);
    expect(await power.status(handle)).toMatchObject({ state: 'running' });
    expect(pp.actionCalls('DeployPackageAsync')).toHaveLength(1);
    pp.setStatus(run.deploymentstagerunid, STAGE_RUN_STATUS.PendingApproval);
    expect(await power.status(handle)).toMatchObject({ state: 'running', detail: 'waiting for an approval in Power Platform' });
    pp.setStatus(run.deploymentstagerunid, STAGE_RUN_STATUS.Succeeded);
    expect(await power.status(handle)).toEqual({ state: 'succeeded', link });
    expect(pp.actionCalls('DeployPackageAsync')).toHaveLength(1);
    expect(await power.current!('web', 'production')).toBe('1.4.2');
    // One token for the whole deployment: it is cached until it expires.
    expect(pp.tokenRequests).toHaveLength(1);
  });

  it('is idempotent on the promotion id: a second start finds the stage run instead of creating one', async () => {
    const power = executor();
    const first = await power.start(request('1.4.2'));
    const second = await power.start(request('1.4.2'));
    expect(second.handle).toBe(first.handle);
    expect(pp.runs).toHaveLength(1);
    expect(pp.actionCalls('ValidatePackageAsync')).toHaveLength(1);
  });

  it("fails with the host's own words when validation fails, and never deploys", async () => {
    const power = executor();
    const { handle } = await power.start(request('1.4.2'));
    pp.failValidation(pp.runs[0]!.deploymentstagerunid, 'Missing dependency: the solution requires contoso_Base 2.0.0 or later in the target environment.');
    expect(await power.status(handle)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/failed: Missing dependency: the solution requires contoso_Base 2\.0\.0/) });
    expect(pp.actionCalls('DeployPackageAsync')).toHaveLength(0);
  });

  it('fails with the stage run error message when the deployment fails', async () => {
    const power = executor();
    const { handle } = await power.start(request('1.4.2'));
    const id = pp.runs[0]!.deploymentstagerunid;
    pp.passValidation(id);
    await power.status(handle);
    pp.setStatus(id, STAGE_RUN_STATUS.Failed, 'Import failed: the connection reference contoso_sharedsql has no connection.');
    expect(await power.status(handle)).toMatchObject({ state: 'failed', reason: 'Power Platform deployment of ContosoCore 1.4.2 failed: Import failed: the connection reference contoso_sharedsql has no connection.' });
  });

  it("turns a Dataverse error body into one sentence with the platform's code and message", async () => {
    const power = executor();
    pp.failures.set('/deploymentstageruns', { status: 403, code: '0x80040220', message: "Principal user is missing prvCreatedeploymentstagerun privilege." });
    // The first call to that path is the lookup; it is refused.
    const error = await failure(power.start(request('1.4.2')));
    expect(error).toBeInstanceOf(DeployError);
    expect(error!.permanent).toBe(true);
    expect(error!.message).toMatch(/0x80040220 Principal user is missing prvCreatedeploymentstagerun privilege.*Deployment Pipeline Administrator/);
  });

  it('retries a passing fault from the host, permanently refuses a wrong secret with Entra ID\'s error', async () => {
    pp.failures.set('/deploymentpipelines', { status: 503, code: '0x80040216', message: 'Service is temporarily unavailable.' });
    const busy = await failure(executor().start(request('1.4.2')));
    expect(busy!.permanent).toBe(false);

    const refused = await failure(executor('wrong-secret').start(request('1.4.2')));
    expect(refused!.permanent).toBe(true);
    expect(refused!.message).toMatch(/invalid_client: AADSTS7000215: Invalid client secret provided/);
    expect(refused!.message).not.toMatch(/wrong-secret|Trace ID/);
    expect(pp.runs).toHaveLength(0);
  });

  it('refuses an environment without a stage, and a pipeline that does not exist', async () => {
    const missingStage = await failure(executor().start(request('1.4.2', { environment: 'qa' })));
    expect(missingStage!.message).toMatch(/names no pipeline stage for qa/);
    pp.reset();
    const missingPipeline = await failure(executor().start(request('1.4.2')));
    expect(missingPipeline!.message).toMatch(/no pipeline called "Contoso release"/);
  });

  it('rolls back by redeploying the earlier artifact, and refuses a version the host no longer keeps', async () => {
    const earlier = pp.addArtifact('ContosoCore', '1.4.1');
    const power = executor();
    await power.start(request('1.4.1', { kind: 'rollback', promotion_id: 'sg-rb' }));
    expect(pp.runs[0]).toMatchObject({ artifactversion: '1.4.1', _artifactid_value: earlier });

    const gone = await failure(power.start(request('1.3.0', { kind: 'rollback', promotion_id: 'sg-rb2' })));
    expect(gone!.permanent).toBe(true);
    expect(gone!.message).toMatch(/keeps no artifact of ContosoCore 1\.3\.0/);
  });
});
