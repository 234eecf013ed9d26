import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeployError, type AsyncExecutor, type DeployRequest } from '../../src/executors/executor.js';
import { MendixExecutor, mendixExecutorSchema } from '../../src/executors/mendix-executor.js';
import { FakeMendix, MENDIX_API_KEY, MENDIX_USER } from '../support/fakes/mendix.js';

const mx = new FakeMendix();
beforeAll(async () => void (await mx.start()));
afterAll(async () => mx.close());
beforeEach(() => {
  mx.calls.length = 0;
  mx.packages.length = 0;
  mx.environments.clear();
  mx.noTransport.clear();
  mx.addPackage('1.0.0');
  mx.addPackage('1.1.0');
  mx.addEnvironment('Acceptance', '1.0.0', { constants: { 'Orders.ApiUrl': 'https://old.example.com' }, events: { 'Orders.NightlySync': 'Disabled' } });
});

function executor(extra: Record<string, unknown> = {}, api_key = MENDIX_API_KEY): AsyncExecutor {
  return new MendixExecutor(
    mendixExecutorSchema.parse({ type: 'mendix', api_url: mx.url, username: MENDIX_USER, api_key, app: 'acme-web', environments: { staging: 'Acceptance' }, ...extra }),
  );
}

function request(version: string, promotion_id = `sg-${version}`): DeployRequest {
  return { promotion_id, kind: 'promote', app: 'web', version, environment: 'staging', from_environment: 'development', previous_version: '1.0.0', requested_by: 'UALICE', approved_by: ['UBOB'], reason: '' };
}

const failure = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as DeployError);

describe('the Mendix executor', () => {
  it('restarts the environment on the package of the promoted version: stop, transport, settings, start, and follows the start job', async () => {
    const mendix = executor({ environments: { staging: { mode: 'Acceptance', constants: { 'Orders.ApiUrl': 'https://api.example.com' }, scheduled_events: { 'Orders.NightlySync': true } } } });
    const { handle, link } = await mendix.start(request('1.1.0'));
    expect(link).toBe('https://acme-web-acceptance.mendixcloud.com');
    expect(mx.actions('Acceptance')).toEqual(['stop', 'transport', 'settings', 'start']);
    const transport = mx.calls.find((c) => c.path.endsWith('/transport'))!;
    expect(transport.body).toEqual({ PackageId: 'pkg-1.1.0' });
    expect([transport.username, transport.apiKey]).toEqual([MENDIX_USER, MENDIX_API_KEY]);
    expect(mx.calls.find((c) => c.method === 'POST' && c.path.endsWith('/settings'))!.body).toEqual({
      Constants: [{ Name: 'Orders.ApiUrl', Value: 'https://api.example.com' }],
      ScheduledEvents: [{ Name: 'Orders.NightlySync', Value: 'Enabled' }],
    });
    expect(mx.calls.find((c) => c.path.endsWith('/start'))!.body).toEqual({ AutoSyncDb: true });

    // The restart is said in the running status, as often as it is asked.
    expect(await mendix.status(handle)).toMatchObject({ state: 'running', detail: expect.stringMatching(/a Mendix deployment is a restart: the Acceptance environment was stopped, package 1\.1\.0 transported/) });
    expect(await mendix.status(handle)).toMatchObject({ state: 'running' });
    mx.finishStart('Acceptance');
    expect(await mendix.status(handle)).toEqual({ state: 'succeeded', link });
    expect(await mendix.current!('web', 'staging')).toBe('1.1.0');
  });

  it('neither stops nor transports again when start is called twice for the same promotion', async () => {
    const mendix = executor();
    const first = await mendix.start(request('1.1.0'));
    const second = await mendix.start(request('1.1.0'));
    expect(mx.actions('Acceptance')).toEqual(['stop', 'transport', 'start']);
    expect(await mendix.status(second.handle)).toMatchObject({ state: 'running' });
    mx.finishStart('Acceptance');
    expect(await mendix.status(first.handle)).toMatchObject({ state: 'succeeded' });
    expect(await mendix.status(second.handle)).toMatchObject({ state: 'succeeded' });
  });

  it('refuses a version with no package, or a setting the environment lacks, before stopping anything', async () => {
    const missing = await failure(executor().start(request('2.0.0')));
    expect(missing).toMatchObject({ permanent: true, message: expect.stringMatching(/no deployment package with Version 2\.0\.0/) });

    const unknown = await failure(executor({ environments: { staging: { mode: 'Acceptance', constants: { 'Orders.Nope': 'x' } } } }).start(request('1.1.0')));
    expect(unknown).toMatchObject({ permanent: true, message: expect.stringMatching(/has no constant Orders\.Nope/) });
    expect(mx.actions('Acceptance')).toEqual([]);
    expect(mx.env('Acceptance').Status).toBe('Running');
  });

  it("fails with Mendix's own reason when the start job fails", async () => {
    const mendix = executor();
    const { handle } = await mendix.start(request('1.1.0'));
    mx.failStart('Acceptance', 'MISSING_CONSTANT', 'Cannot start app. Missing one or more constant values.');
    expect(await mendix.status(handle)).toMatchObject({ state: 'failed', reason: 'Mendix could not start the Acceptance environment with 1.1.0: MISSING_CONSTANT: Cannot start app. Missing one or more constant values.' });
  });

  it("passes on Mendix's refusals: a wrong key, an unknown environment, no Transport Rights", async () => {
    const badKey = await failure(executor({}, 'wrong-key').start(request('1.1.0')));
    expect(badKey).toMatchObject({ permanent: true, message: expect.stringMatching(/401 UNAUTHORIZED.*check the executor username and api_key/) });
    expect(badKey!.message).not.toContain('wrong-key');

    const noEnv = await failure(executor({ environments: { staging: 'Production' } }).start(request('1.1.0')));
    expect(noEnv).toMatchObject({ permanent: true, message: expect.stringMatching(/404 ENVIRONMENT_NOT_FOUND/) });

    mx.noTransport.add('Acceptance');
    mx.env('Acceptance').Status = 'Stopped';
    const denied = await failure(executor().start(request('1.1.0')));
    expect(denied).toMatchObject({ permanent: true, message: expect.stringMatching(/403 TRANSPORT_NOT_ALLOWED.*API Rights and Transport Rights/) });
  });
});
