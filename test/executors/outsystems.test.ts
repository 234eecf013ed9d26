import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AsyncExecutor, DeployError, DeployRequest } from '../../src/executors/executor.js';
import { OutSystemsExecutor, outSystemsExecutorSchema } from '../../src/executors/outsystems-executor.js';
import { FakeLifeTime, LIFETIME_TOKEN } from '../support/fakes/outsystems.js';

const lt = new FakeLifeTime();
beforeAll(async () => void (await lt.start()));
afterAll(async () => lt.close());
beforeEach(() => {
  lt.calls.length = 0;
  lt.deployments.length = 0;
  lt.forbidden.clear();
  lt.versions.set('app-orders', []);
  lt.tag('1.0.0');
  lt.tag('1.1.0');
});

function executor(extra: Record<string, unknown> = {}, token = LIFETIME_TOKEN): AsyncExecutor {
  return new OutSystemsExecutor(
    outSystemsExecutorSchema.parse({ type: 'outsystems', url: lt.url, token, application: 'Orders', environments: { development: 'Development', staging: 'Quality', production: 'Production' }, ...extra }),
  );
}

function request(version: string, overrides: Partial<DeployRequest> = {}): DeployRequest {
  return { promotion_id: `sg-${version}`, kind: 'promote', app: 'orders', version, environment: 'production', from_environment: 'staging', previous_version: '1.0.0', requested_by: 'UALICE', approved_by: ['UBOB'], reason: 'monthly release', ...overrides };
}

const failure = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as DeployError);

describe('the OutSystems executor', () => {
  it('creates a plan from the from environment, starts it, and follows it to the end', async () => {
    const os = executor();
    const { handle, link } = await os.start(request('1.1.0'));
    const [plan] = lt.deploymentsTo('Production');
    expect(plan).toMatchObject({ SourceEnvironmentKey: 'env-qa', TargetEnvironmentKey: 'env-prd', ApplicationOperations: [{ ApplicationVersionKey: 'ver-1.1.0' }] });
    expect(plan!.Notes).toContain('[shipgate sg-1.1.0]');
    expect(link).toBe(plan!.DetailsURL);
    expect(lt.calls.every((c) => c.authorization === `Bearer ${LIFETIME_TOKEN}`)).toBe(true);

    lt.advance('Deploying Orders to Production.');
    expect(await os.status(handle)).toMatchObject({ state: 'running', detail: 'LifeTime deployment running: Deploying Orders to Production.' });
    lt.finish('finished_successful');
    expect(await os.status(handle)).toMatchObject({ state: 'succeeded' });
  });

  it('does not count a deployment waiting for someone as a success: it stays running with the platform message', async () => {
    const os = executor();
    const { handle } = await os.start(request('1.1.0'));
    lt.needIntervention('needs_configuration_or_confirmation', 'Site property Orders.PaymentUrl needs a value in Production.');
    const status = await os.status(handle);
    expect(status).toMatchObject({ state: 'running', detail: 'LifeTime is waiting for someone to act on the deployment (needs_configuration_or_confirmation): Site property Orders.PaymentUrl needs a value in Production.' });
  });

  it('finds its own plan when start is called twice for the same promotion', async () => {
    const os = executor();
    const first = await os.start(request('1.1.0'));
    const second = await os.start(request('1.1.0'));
    expect(JSON.parse(second.handle)).toEqual(JSON.parse(first.handle));
    expect(lt.deploymentsTo('Production')).toHaveLength(1);
    expect(lt.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/start/') && c.status === 202)).toHaveLength(1);
  });

  it("fails with LifeTime's error messages, and aborts on cancel", async () => {
    const os = executor();
    const { handle } = await os.start(request('1.1.0'));
    lt.finish('finished_with_errors', 'Module OrdersCore failed to compile: missing reference to PaymentsAPI.');
    expect(await os.status(handle)).toMatchObject({ state: 'failed', reason: 'the LifeTime deployment of 1.1.0 to Production finished with errors: Module OrdersCore failed to compile: missing reference to PaymentsAPI.' });

    const again = executor();
    const next = await again.start(request('1.1.0', { promotion_id: 'sg-other' }));
    await again.cancel!(next.handle);
    expect(lt.deployments.at(-1)!.status.DeploymentStatus).toBe('aborted');
    expect(await again.status(next.handle)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/aborted/) });
  });

  it('refuses what LifeTime refuses, with its words: an untagged version, a bad token, a forbidden environment, a rollback with no source', async () => {
    expect(await failure(executor().start(request('9.9.9')))).toMatchObject({ permanent: true, message: expect.stringMatching(/no tagged version 9\.9\.9 of Orders/) });

    const badToken = await failure(executor({}, 'nope').start(request('1.1.0')));
    expect(badToken).toMatchObject({ permanent: true, message: expect.stringMatching(/401 Invalid or expired authentication token/) });

    lt.forbidden.add('env-prd');
    expect(await failure(executor().start(request('1.1.0')))).toMatchObject({ permanent: true, message: expect.stringMatching(/403 The service account does not have permissions.*Change and Deploy Applications/) });
    lt.forbidden.clear();

    expect(await failure(executor({ environments: { staging: 'Quality', production: 'Nowhere' } }).start(request('1.1.0')))).toMatchObject({ permanent: true, message: expect.stringMatching(/no environment named "Nowhere"/) });

    const rollback = request('1.0.0', { kind: 'rollback', from_environment: null });
    expect(await failure(executor().start(rollback))).toMatchObject({ permanent: true, message: expect.stringMatching(/default_source/) });
    await executor({ default_source: { production: 'Quality' } }).start(rollback);
    expect(lt.deploymentsTo('Production').at(-1)).toMatchObject({ SourceEnvironmentKey: 'env-qa', ApplicationOperations: [{ ApplicationVersionKey: 'ver-1.0.0' }] });
  });
});
