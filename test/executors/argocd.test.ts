import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { argoCdExecutorSchema, createArgoCdExecutor } from '../../src/executors/argocd-executor.js';
import { DeployError, type AsyncExecutor, type DeployRequest } from '../../src/executors/executor.js';
import { ARGOCD_TOKEN, FakeArgoCd, commitOf } from '../support/fakes/argocd.js';

const argo = new FakeArgoCd();
beforeAll(async () => void (await argo.start()));
afterAll(async () => argo.close());
beforeEach(() => {
  argo.apps.clear();
  argo.hidden.clear();
  argo.windowClosed.clear();
  argo.calls.length = 0;
});

function executor(extra: Record<string, unknown> = { revision: 'v{version}' }, token = ARGOCD_TOKEN): AsyncExecutor {
  return createArgoCdExecutor(argoCdExecutorSchema.parse({ type: 'argocd', url: argo.url, token, application: '{app}-{environment}', ...extra }));
}

function request(version: string, promotion_id = `sg-${version}`, kind: DeployRequest['kind'] = 'promote'): DeployRequest {
  return { promotion_id, kind, app: 'web', version, environment: 'staging', previous_version: null, requested_by: 'UALICE', approved_by: ['UBOB'], reason: '' };
}

const failure = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as Error);

describe('the Argo CD executor, following a git revision', () => {
  beforeEach(() => void argo.addApplication('web-staging', { repoURL: 'https://git.example.com/deploy.git', path: 'web', targetRevision: 'v1.0.0' }));

  it('sets the target revision, syncs with the promotion id, and succeeds once the sync is done and the app Healthy', async () => {
    const argocd = executor();
    const { handle, link } = await argocd.start(request('1.1.0'));
    expect(link).toBe(`${argo.url}/applications/web-staging`);

    const app = argo.apps.get('web-staging')!;
    expect(app.spec.source.targetRevision).toBe('v1.1.0');
    const [sync] = argo.syncCalls('web-staging');
    expect(sync!.body).toMatchObject({ revision: 'v1.1.0', infos: expect.arrayContaining([{ name: 'shipgate.promotion', value: 'sg-1.1.0' }]) });
    expect(sync!.authorization).toBe(`Bearer ${ARGOCD_TOKEN}`);

    expect(await argocd.status(handle)).toMatchObject({ state: 'running', detail: expect.stringMatching(/Running/) });
    argo.finish('web-staging', { status: 'Progressing', message: 'Waiting for rollout to finish: 1 of 3 updated replicas are available...' });
    // Synced but not yet Healthy: still running, as often as it is asked.
    expect(await argocd.status(handle)).toMatchObject({ state: 'running', detail: expect.stringMatching(/Progressing: Waiting for rollout/) });
    expect(await argocd.status(handle)).toMatchObject({ state: 'running' });
    argo.setHealth('web-staging', { status: 'Healthy' });
    expect(await argocd.status(handle)).toEqual({ state: 'succeeded', link });
    expect(app.status.sync.revision).toBe(commitOf('v1.1.0'));
    expect(await argocd.current!('web', 'staging')).toBe('1.1.0');
  });

  it("fails with Argo CD's own message when the sync fails", async () => {
    const argocd = executor();
    const { handle } = await argocd.start(request('1.1.0'));
    argo.fail('web-staging', 'one or more objects failed to apply, reason: Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value');
    expect(await argocd.status(handle)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/^Argo CD sync failed: one or more objects failed to apply, reason: Deployment.apps "web" is invalid/) });
    // A failed sync deploys nothing: what runs is still the old version.
    expect(await argocd.current!('web', 'staging')).toBe('1.0.0');
  });

  it('fails with the health message when the synced application turns Degraded', async () => {
    const argocd = executor();
    const { handle } = await argocd.start(request('1.1.0'));
    argo.finish('web-staging', { status: 'Degraded', message: 'Deployment "web" exceeded its progress deadline' });
    expect(await argocd.status(handle)).toMatchObject({ state: 'failed', reason: 'Argo CD reports the application Degraded: Deployment "web" exceeded its progress deadline' });
  });

  it('starts one sync when start is called twice for the same promotion, before and after it ends', async () => {
    const argocd = executor();
    const first = await argocd.start(request('1.1.0'));
    const second = await argocd.start(request('1.1.0'));
    expect(second).toEqual(first);
    argo.finish('web-staging');
    expect(await argocd.start(request('1.1.0'))).toEqual(first);
    expect(argo.syncCalls('web-staging')).toHaveLength(1);
    expect(argo.calls.filter((c) => c.method === 'PATCH')).toHaveLength(1);
  });

  it('waits for an operation someone else started instead of syncing over it', async () => {
    argo.startForeignOperation('web-staging', 'carol');
    const error = await failure(executor().start(request('1.1.0')));
    expect(error).toBeInstanceOf(DeployError);
    expect(error!.message).toMatch(/busy with another operation \(started by carol\); Shipgate will try again/);
    expect(argo.syncCalls('web-staging')).toHaveLength(0);
  });

  it('rolls back by syncing the earlier revision', async () => {
    const argocd = executor();
    const forward = await argocd.start(request('1.1.0'));
    argo.finish('web-staging');
    expect(await argocd.status(forward.handle)).toMatchObject({ state: 'succeeded' });

    const back = await argocd.start(request('1.0.0', 'sg-rollback', 'rollback'));
    expect(argo.apps.get('web-staging')!.spec.source.targetRevision).toBe('v1.0.0');
    expect(argo.syncCalls('web-staging').at(-1)!.body).toMatchObject({ revision: 'v1.0.0', infos: expect.arrayContaining([{ name: 'shipgate.kind', value: 'rollback' }]) });
    argo.finish('web-staging');
    expect(await argocd.status(back.handle)).toMatchObject({ state: 'succeeded' });
    expect(await argocd.current!('web', 'staging')).toBe('1.0.0');
  });

  it('terminates its own running sync on cancel, and the status then says it was terminated', async () => {
    const argocd = executor();
    const { handle } = await argocd.start(request('1.1.0'));
    await argocd.cancel!(handle);
    expect(argo.calls.filter((c) => c.method === 'DELETE' && c.path === '/api/v1/applications/web-staging/operation' && c.status === 200)).toHaveLength(1);
    expect(await argocd.status(handle)).toMatchObject({ state: 'running', detail: expect.stringMatching(/Terminating/) });
    argo.endTermination('web-staging');
    expect(await argocd.status(handle)).toMatchObject({ state: 'failed', reason: 'Argo CD sync failed: Operation terminated' });
    // Nothing left to stop: a second cancel is quiet and sends nothing.
    await argocd.cancel!(handle);
    expect(argo.calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
  });

  it('says plainly when the token is refused, without showing it', async () => {
    const error = await failure(executor(undefined, 'expired-token-value-123456').start(request('1.1.0')));
    expect(error).toBeInstanceOf(DeployError);
    expect(error!.message).toMatch(/^Argo CD refused the token \(401: invalid session: .*\)\. Generate a new one/);
    expect(error!.message).not.toContain('expired-token-value');
    expect(argo.syncCalls('web-staging')).toHaveLength(0);
  });

  it('says the application may not exist or may not be visible to the account on 403', async () => {
    argo.hidden.add('web-staging');
    const error = await failure(executor().current!('web', 'staging'));
    expect(error!.message).toMatch(/^Argo CD denied access to application "web-staging" \(403: permission denied\): either it does not exist, or the token's account may not read it/);
  });

  it("passes on Argo CD's own reason for other refusals, such as a closed sync window", async () => {
    argo.windowClosed.add('web-staging');
    const error = await failure(executor().start(request('1.1.0')));
    expect(error!.message).toBe('Argo CD refused to sync application "web-staging" (403: cannot sync: blocked by sync window).');
  });
});

describe('the Argo CD executor, setting an image tag', () => {
  it('sets a Helm parameter, keeping the other parameters, and reads the tag back', async () => {
    argo.addApplication('web-staging', { repoURL: 'https://charts.example.com', path: 'web', targetRevision: '2.3.0', helm: { parameters: [{ name: 'replicas', value: '3' }, { name: 'image.tag', value: '1.0.0' }] } });
    const argocd = executor({ image: { helm_parameter: 'image.tag' } });
    const { handle } = await argocd.start(request('1.1.0'));
    expect(argo.apps.get('web-staging')!.spec.source.helm!.parameters).toEqual([{ name: 'replicas', value: '3' }, { name: 'image.tag', value: '1.1.0', forceString: true }]);
    // The chart's own revision stays as it is: no revision in the sync request.
    expect(argo.syncCalls('web-staging')[0]!.body).not.toHaveProperty('revision');
    expect(await argocd.current!('web', 'staging')).toBe('1.0.0');
    argo.finish('web-staging');
    expect(await argocd.status(handle)).toMatchObject({ state: 'succeeded' });
    expect(await argocd.current!('web', 'staging')).toBe('1.1.0');
  });

  it('sets a Kustomize image override, replacing the one for the same image', async () => {
    argo.addApplication('web-staging', { repoURL: 'https://git.example.com/deploy.git', path: 'web', targetRevision: 'main', kustomize: { images: ['registry.example.com/sidecar:4.0', 'registry.example.com/web:1.0.0'] } });
    const argocd = executor({ image: { kustomize_image: 'registry.example.com/web' } });
    expect(await argocd.current!('web', 'staging')).toBe('1.0.0');
    const { handle } = await argocd.start(request('1.1.0'));
    expect(argo.apps.get('web-staging')!.spec.source.kustomize!.images).toEqual(['registry.example.com/sidecar:4.0', 'registry.example.com/web:1.1.0']);
    argo.finish('web-staging');
    expect(await argocd.status(handle)).toMatchObject({ state: 'succeeded' });
    expect(await argocd.current!('web', 'staging')).toBe('1.1.0');
  });
});

describe('the Argo CD executor configuration', () => {
  const base = { type: 'argocd', url: 'https://argocd.example.com', token: 't', application: '{app}-{environment}' };
  it('asks for exactly one way to set the version, and refuses to skip TLS verification', () => {
    expect(argoCdExecutorSchema.safeParse(base).error?.issues[0]?.message).toMatch(/exactly one of revision/);
    expect(argoCdExecutorSchema.safeParse({ ...base, revision: '{version}', image: { helm_parameter: 'image.tag' } }).success).toBe(false);
    expect(argoCdExecutorSchema.safeParse({ ...base, revision: 'main' }).error?.issues[0]?.message).toMatch(/with \{version\} in it/);
    expect(argoCdExecutorSchema.safeParse({ ...base, revision: '{version}', insecure: true }).error?.issues[0]?.message).toMatch(/NODE_EXTRA_CA_CERTS/);
    expect(argoCdExecutorSchema.parse({ ...base, revision: '{version}', poll_every: '5s' })).toMatchObject({ poll_every: 5_000, timeout: 900_000 });
  });
});
