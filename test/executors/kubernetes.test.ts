import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeployError, type AsyncExecutor, type DeployRequest } from '../../src/executors/executor.js';
import { PROMOTION_ANNOTATION, createKubernetesExecutor, kubernetesExecutorSchema } from '../../src/executors/kubernetes-executor.js';
import { FakeKubernetes, KUBERNETES_TOKEN, kubeconfigFor } from '../support/fakes/kubernetes.js';

const kube = new FakeKubernetes();
let dir = '';
let kubeconfig = '';

beforeAll(async () => {
  await kube.start();
  dir = await mkdtemp(join(tmpdir(), 'shipgate-kube-'));
  kubeconfig = join(dir, 'config');
  await writeFile(kubeconfig, kubeconfigFor(kube.url, KUBERNETES_TOKEN));
});
afterAll(async () => {
  await kube.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  kube.deployments.clear();
  kube.calls.length = 0;
  kube.addDeployment('web-staging', 'web', [
    { name: 'web', image: 'registry.example.com/web:1.0.0' },
    { name: 'proxy', image: 'registry.example.com/proxy:2.1' },
  ]);
});

function executor(file = kubeconfig): AsyncExecutor {
  return createKubernetesExecutor(
    kubernetesExecutorSchema.parse({ type: 'kubernetes', kubeconfig: file, namespace: '{app}-{environment}', deployment: '{app}', container: '{app}', image: 'registry.example.com/{app}:{version}' }),
  );
}

function request(version: string, promotion_id = `sg-${version}`, kind: DeployRequest['kind'] = 'promote'): DeployRequest {
  return { promotion_id, kind, app: 'web', version, environment: 'staging', previous_version: null, requested_by: 'UALICE', approved_by: ['UBOB'], reason: '' };
}

const deployment = () => kube.get('web-staging', 'web');

describe('the Kubernetes executor', () => {
  it('patches only its container, annotates the pod template, and follows the rollout to the end', async () => {
    const k8s = executor();
    expect(await k8s.current!('web', 'staging')).toBe('1.0.0');
    const { handle } = await k8s.start(request('1.1.0'));

    const [patch] = kube.patches('web-staging', 'web');
    expect(patch!.contentType).toBe('application/strategic-merge-patch+json');
    expect(deployment().spec.template.spec.containers).toEqual([
      { name: 'web', image: 'registry.example.com/web:1.1.0' },
      { name: 'proxy', image: 'registry.example.com/proxy:2.1' },
    ]);
    expect(deployment().spec.template.metadata.annotations).toMatchObject({ [PROMOTION_ANNOTATION]: 'sg-1.1.0' });

    // Every step kubectl rollout status waits for keeps the status running.
    expect(await k8s.status(handle)).toMatchObject({ state: 'running', detail: expect.stringMatching(/controller to see the new spec/) });
    kube.observe('web-staging', 'web');
    expect(await k8s.status(handle)).toMatchObject({ state: 'running', detail: '0 out of 3 new replicas have been updated' });
    kube.advance('web-staging', 'web', { updated: 3, available: 3, replicas: 4 });
    expect(await k8s.status(handle)).toMatchObject({ state: 'running', detail: '1 old replicas are pending termination' });
    kube.advance('web-staging', 'web', { updated: 3, available: 2, replicas: 3 });
    expect(await k8s.status(handle)).toMatchObject({ state: 'running', detail: '2 of 3 updated replicas are available' });
    kube.completeRollout('web-staging', 'web');
    expect(await k8s.status(handle)).toEqual({ state: 'succeeded', link: null });
    expect(await k8s.current!('web', 'staging')).toBe('1.1.0');
  });

  it('fails with the Deployment controller\'s message when the rollout exceeds its progress deadline', async () => {
    const k8s = executor();
    const { handle } = await k8s.start(request('1.1.0'));
    kube.observe('web-staging', 'web');
    kube.exceedDeadline('web-staging', 'web');
    expect(await k8s.status(handle)).toMatchObject({
      state: 'failed',
      reason: 'Deployment "web" in namespace "web-staging" exceeded its progress deadline: ReplicaSet "web-2" has timed out progressing.',
    });
  });

  it('patches once when start is called twice for the same promotion', async () => {
    const k8s = executor();
    const first = await k8s.start(request('1.1.0'));
    expect(await k8s.start(request('1.1.0'))).toEqual(first);
    kube.completeRollout('web-staging', 'web');
    expect(await k8s.start(request('1.1.0'))).toEqual(first);
    expect(kube.patches('web-staging', 'web')).toHaveLength(1);
    expect(deployment().metadata.generation).toBe(2);
  });

  it('rolls back by setting the earlier image under the rollback promotion', async () => {
    const k8s = executor();
    await k8s.start(request('1.1.0'));
    kube.completeRollout('web-staging', 'web');
    const back = await k8s.start(request('1.0.0', 'sg-rollback', 'rollback'));
    expect(deployment().spec.template.spec.containers[0]!.image).toBe('registry.example.com/web:1.0.0');
    expect(deployment().spec.template.metadata.annotations![PROMOTION_ANNOTATION]).toBe('sg-rollback');
    kube.completeRollout('web-staging', 'web');
    expect(await k8s.status(back.handle)).toMatchObject({ state: 'succeeded' });
    expect(await k8s.current!('web', 'staging')).toBe('1.0.0');
  });

  it('pauses its own rollout on cancel, reports it cancelled, and a rollback resumes the Deployment', async () => {
    const k8s = executor();
    const { handle } = await k8s.start(request('1.1.0'));
    kube.observe('web-staging', 'web');
    await k8s.cancel!(handle);
    expect(kube.patches('web-staging', 'web').at(-1)!.contentType).toBe('application/merge-patch+json');
    expect(deployment().spec.paused).toBe(true);
    expect(await k8s.status(handle)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/was cancelled and the Deployment paused/) });

    await k8s.start(request('1.0.0', 'sg-rollback', 'rollback'));
    expect(deployment().spec.paused).toBe(false);
    expect(deployment().metadata.annotations ?? {}).toEqual({});
  });

  it('leaves a Deployment paused by someone else alone and says how to resume it', async () => {
    deployment().spec.paused = true;
    const error = await executor().start(request('1.1.0')).then(() => null, (e: Error) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect(error!.message).toMatch(/is paused by someone else \(kubectl rollout pause\); resume it with kubectl rollout resume/);
    expect(kube.patches('web-staging', 'web')).toHaveLength(0);
  });

  it('says plainly when the token is refused, and when the Deployment does not exist', async () => {
    const badConfig = join(dir, 'bad-token');
    await writeFile(badConfig, kubeconfigFor(kube.url, 'revoked-token-0123456789'));
    const refused = await executor(badConfig).start(request('1.1.0')).then(() => null, (e: Error) => e);
    expect(refused).toBeInstanceOf(DeployError);
    expect(refused!.message).toBe(`The Kubernetes API at ${kube.url} refused the credentials (401). Renew the token in the executor's kubeconfig, or check the service account Shipgate runs as.`);

    kube.deployments.clear();
    const missing = await executor().current!('web', 'staging').then(() => null, (e: Error) => e);
    expect(missing!.message).toMatch(/^Kubernetes has no Deployment "web" in namespace "web-staging" \(404: deployments.apps "web" not found\)\. Check the executor's namespace/);
  });

  it('names the containers the Deployment has when the configured one is missing', async () => {
    kube.deployments.clear();
    kube.addDeployment('web-staging', 'web', [{ name: 'app', image: 'registry.example.com/web:1.0.0' }]);
    const error = await executor().start(request('1.1.0')).then(() => null, (e: Error) => e);
    expect(error!.message).toMatch(/has no container "web" \(it has "app"\)/);
    expect(kube.patches('web-staging', 'web')).toHaveLength(0);
  });
});

describe('the fake Kubernetes API', () => {
  it('refuses a patch in a content type Kubernetes does not accept, with a Status object', async () => {
    const response = await fetch(`${kube.url}/apis/apps/v1/namespaces/web-staging/deployments/web`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${KUBERNETES_TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
  });

  it('answers an invalid change with 422 Invalid and names the field', async () => {
    const response = await fetch(`${kube.url}/apis/apps/v1/namespaces/web-staging/deployments/web`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${KUBERNETES_TOKEN}`, 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'remove', path: '/spec/template/spec/containers/0/image' }]),
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ kind: 'Status', reason: 'Invalid', message: 'Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value' });
    expect(deployment().spec.template.spec.containers[0]!.image).toBe('registry.example.com/web:1.0.0');
  });
});
