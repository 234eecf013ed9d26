import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { textOf } from '../support/fake-slack.js';
import { writeTempFile } from '../support/child-shipgate.js';
import { ARGOCD_TOKEN, FakeArgoCd } from '../support/fakes/argocd.js';
import { FakeKubernetes, KUBERNETES_TOKEN, kubeconfigFor } from '../support/fakes/kubernetes.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice } = PEOPLE;

/** Development deploys through the executor under test; anyone listed may roll it back at once. */
function configWith(executor: string) {
  return (_deployUrl: string, prefix: string) => `
slack: { channel: C0DEPLOYS, usergroup_cache: 1s }
apps:
  web: { executor: target }
environments:
  development:
    rollback: { approvals: { required: 0, approvers: [${alice}] } }
executors:
  target:${executor}
queue: { prefix: "${prefix}", lock_duration: 2s, stalled_interval: 1s }
`;
}

describe('the Argo CD executor, driven by the deploy job', () => {
  let h: Harness;
  let argo: FakeArgoCd;
  afterEach(async () => {
    await h.close();
    await argo.close();
  });

  async function start(noWorker = false) {
    argo = await new FakeArgoCd().start();
    argo.addApplication('web-development', { repoURL: 'https://git.example.com/deploy.git', path: 'web', targetRevision: 'v0.9.0' });
    h = await startShipgate({
      config: configWith(`
    type: argocd
    url: "${argo.url}"
    token: "\${ARGOCD_TOKEN}"
    application: "{app}-{environment}"
    revision: "v{version}"
    poll_every: 100ms
    timeout: 15m`),
      env: { ARGOCD_TOKEN },
      noWorker,
    });
  }


  it('syncs, shows the application while it rolls out, records the deployment once Healthy, and rolls back', async () => {
    await start();
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(() => expect(argo.syncCalls('web-development')).toHaveLength(1));
    await eventually(async () => expect((await h.shipgate.promotion(message)).deployment?.link).toBe(`${argo.url}/applications/web-development`));
    expect((await h.shipgate.promotion(message)).state).toBe('deploying');
    argo.finish('web-development');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.0.0'));

    await h.ask(alice, '/promote web 1.1.0 to development', 'C0DEPLOYS');
    await eventually(() => expect(argo.syncCalls('web-development')).toHaveLength(2));
    argo.finish('web-development');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.1.0'));

    await h.slack.command(alice, '/promote rollback web development');
    await eventually(() => expect(argo.syncCalls('web-development')).toHaveLength(3));
    expect(argo.apps.get('web-development')!.spec.source.targetRevision).toBe('v1.0.0');
    argo.finish('web-development');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.0.0'));
  });

  it('fails and terminates a sync that never finishes within the timeout', async () => {
    await start();
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(() => expect(argo.syncCalls('web-development')).toHaveLength(1));
    await eventually(async () => expect((await h.shipgate.promotion(message)).deployment?.link).toBeTruthy());
    h.shipgate.clock.advance(16 * 60_000);
    await eventually(async () => expect((await h.shipgate.promotion(message)).deployment?.error).toMatch(/did not finish within 15 minutes/));
    expect(argo.calls.some((c) => c.method === 'DELETE' && c.path === '/api/v1/applications/web-development/operation')).toBe(true);
  });

  it('resumes the same sync when the worker following it is killed, never syncing twice', async () => {
    await start(true);
    const doomed = h.shipgate.spawnWorker();
    try {
      await h.slack.command(alice, '/promote web 1.0.0 to development');
      await eventually(() => expect(argo.syncCalls('web-development')).toHaveLength(1), { timeoutMs: 20_000 });
      doomed.kill('SIGKILL');
      await doomed.exited;
      await h.shipgate.startWorker();
      argo.finish('web-development');
      await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.0.0'), { timeoutMs: 20_000 });
      expect(argo.syncCalls('web-development')).toHaveLength(1);
    } finally {
      doomed.kill('SIGKILL');
    }
  });

  it("fails the promotion with Argo CD's own message, in the thread", async () => {
    await start();
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(() => expect(argo.syncCalls('web-development')).toHaveLength(1));
    argo.fail('web-development', 'one or more objects failed to apply: the image pull secret is missing');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/failed: Argo CD sync failed: one or more objects failed to apply: the image pull secret is missing/));
    expect(await h.shipgate.live('web', 'development')).toBeNull();
  });
});

describe('the Kubernetes executor, driven by the deploy job', () => {
  let h: Harness;
  let kube: FakeKubernetes;
  afterEach(async () => {
    await h.close();
    await kube.close();
  });

  async function start() {
    kube = await new FakeKubernetes().start();
    kube.addDeployment('development', 'web', [{ name: 'web', image: 'registry.example.com/web:0.9.0' }]);
    const kubeconfig = writeTempFile('kubeconfig', kubeconfigFor(kube.url, KUBERNETES_TOKEN));
    h = await startShipgate({
      config: configWith(`
    type: kubernetes
    kubeconfig: "${kubeconfig}"
    namespace: "{environment}"
    deployment: "{app}"
    container: "{app}"
    image: "registry.example.com/{app}:{version}"
    poll_every: 100ms
    timeout: 10m`),
    });
  }

  it('sets the image, follows the rollout to the end, and rolls back', async () => {
    await start();
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(() => expect(kube.patches('development', 'web')).toHaveLength(1));
    expect(kube.get('development', 'web').spec.template.spec.containers[0]!.image).toBe('registry.example.com/web:1.0.0');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await h.shipgate.promotion(message)).state).toBe('deploying');
    kube.completeRollout('development', 'web');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.0.0'));

    await h.ask(alice, '/promote web 1.1.0 to development', 'C0DEPLOYS');
    await eventually(() => expect(kube.patches('development', 'web')).toHaveLength(2));
    kube.completeRollout('development', 'web');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.1.0'));

    await h.slack.command(alice, '/promote rollback web development');
    await eventually(() => expect(kube.get('development', 'web').spec.template.spec.containers[0]!.image).toBe('registry.example.com/web:1.0.0'));
    kube.completeRollout('development', 'web');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.0.0'));
  });

  it('fails the promotion when the rollout exceeds its progress deadline, with the controller\'s message', async () => {
    await start();
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(() => expect(kube.patches('development', 'web')).toHaveLength(1));
    kube.exceedDeadline('development', 'web');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/ProgressDeadlineExceeded|progress deadline/));
  });
});
