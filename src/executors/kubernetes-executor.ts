import { commonExecutorKeys, type ExecutorType } from './executor-type.js';
import { ApiException, AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import { z } from 'zod';
import { duration } from '../config/duration.js';
import { MAX_SHOWN_DETAIL, redactSecrets } from '../domain/redact.js';
import { DeployError, type AsyncExecutor, type DeployRequest, type DeploymentHandle, type DeploymentStatus } from './executor.js';

/**
 * `type: kubernetes`. Sets one container's image in a Deployment and follows the
 * rollout the way `kubectl rollout status` does. The pod template carries the
 * promotion id, so a second `start` for the same promotion patches nothing.
 */
export const kubernetesExecutorSchema = z
  .object({
    type: z.literal('kubernetes'),
    /** A kubeconfig file; absent: the service account of the pod Shipgate runs in. */
    kubeconfig: z.string().min(1).optional(),
    /** A context of that file; absent: its current-context. */
    context: z.string().min(1).optional(),
    // `{app}` and `{environment}` are filled in in these three.
    namespace: z.string().min(1),
    deployment: z.string().min(1),
    container: z.string().min(1),
    image: z.string().includes('{version}', { error: 'expected an image with {version} in it, such as "registry.example.com/{app}:{version}"' }),
    attempts: commonExecutorKeys.attempts,
    backoff: commonExecutorKeys.backoff,
    poll_every: duration.default(10_000),
    timeout: duration.default(10 * 60_000),
  })
  .strict();

export type KubernetesExecutorConfig = z.output<typeof kubernetesExecutorSchema>;

/** Pod template annotations: which promotion last set the image, and to which version. */
export const PROMOTION_ANNOTATION = 'shipgate.dev/promotion-id';
export const VERSION_ANNOTATION = 'shipgate.dev/version';
/** On the Deployment itself: the promotion whose cancel paused it. */
export const PAUSED_BY_ANNOTATION = 'shipgate.dev/paused-by';

interface Handle {
  namespace: string;
  deployment: string;
  container: string;
  promotion_id: string;
  image: string;
}

export function createKubernetesExecutor(config: KubernetesExecutorConfig): AsyncExecutor {
  const kubeConfig = new KubeConfig();
  try {
    if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
    else kubeConfig.loadFromCluster();
    if (config.context) kubeConfig.setCurrentContext(config.context);
  } catch (error) {
    const where = config.kubeconfig ? `the kubeconfig file ${config.kubeconfig}` : 'the in-cluster service account';
    throw new Error(`The Kubernetes executor could not load ${where}: ${(error as Error).message}. Check the executor's kubeconfig (or leave it out when Shipgate runs in the cluster).`);
  }
  const server = kubeConfig.getCurrentCluster()?.server ?? 'the Kubernetes API';
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const fill = (template: string, app: string, environment: string) => template.replaceAll('{app}', app).replaceAll('{environment}', environment);

  async function call<T>(doing: string, namespace: string, name: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw explain(error, doing, namespace, name, server);
    }
  }

  const read = (namespace: string, name: string) => call('read', namespace, name, () => apps.readNamespacedDeployment({ name, namespace }));
  const patch = (namespace: string, name: string, body: object, strategy: PatchStrategy) =>
    call('patch', namespace, name, () => apps.patchNamespacedDeployment({ name, namespace, body, fieldManager: 'shipgate' }, setHeaderOptions('Content-Type', strategy)));

  function containerOf(deployment: V1Deployment, handle: { namespace: string; deployment: string; container: string }) {
    const containers = deployment.spec?.template?.spec?.containers ?? [];
    const found = containers.find((c) => c.name === handle.container);
    if (!found) {
      throw new DeployError(`Deployment "${handle.deployment}" in namespace "${handle.namespace}" has no container "${handle.container}" (it has ${containers.map((c) => `"${c.name}"`).join(', ') || 'none'}). Check the executor's container.`);
    }
    return found;
  }

  function handleOf(text: string): Handle {
    const parsed = JSON.parse(text) as Partial<Handle>;
    if (!parsed.namespace || !parsed.deployment || !parsed.container || !parsed.promotion_id || !parsed.image) throw new DeployError('The Kubernetes deployment handle is not one Shipgate wrote.');
    return parsed as Handle;
  }

  return {
    async start(request: DeployRequest): Promise<DeploymentHandle> {
      const where = {
        namespace: fill(config.namespace, request.app, request.environment),
        deployment: fill(config.deployment, request.app, request.environment),
        container: fill(config.container, request.app, request.environment),
      };
      const image = fill(config.image, request.app, request.environment).replaceAll('{version}', request.version);
      const result: DeploymentHandle = { handle: JSON.stringify({ ...where, promotion_id: request.promotion_id, image } satisfies Handle), link: null };

      const deployment = await read(where.namespace, where.deployment);
      const annotations = deployment.spec?.template?.metadata?.annotations ?? {};
      if (annotations[PROMOTION_ANNOTATION] === request.promotion_id && containerOf(deployment, where).image === image) return result;
      containerOf(deployment, where);

      const pausedBy = deployment.metadata?.annotations?.[PAUSED_BY_ANNOTATION];
      if (deployment.spec?.paused && !pausedBy) {
        throw new DeployError(`Deployment "${where.deployment}" in namespace "${where.namespace}" is paused by someone else (kubectl rollout pause); resume it with kubectl rollout resume, and Shipgate will try again.`);
      }
      // A strategic merge patch merges containers by name: only this container's image changes.
      await patch(
        where.namespace,
        where.deployment,
        {
          // Undo a pause that Shipgate's own cancel left behind, so a rollback can proceed.
          ...(pausedBy ? { metadata: { annotations: { [PAUSED_BY_ANNOTATION]: null } } } : {}),
          spec: {
            ...(pausedBy ? { paused: false } : {}),
            template: {
              metadata: { annotations: { [PROMOTION_ANNOTATION]: request.promotion_id, [VERSION_ANNOTATION]: request.version } },
              spec: { containers: [{ name: where.container, image }] },
            },
          },
        },
        PatchStrategy.StrategicMergePatch,
      );
      return result;
    },

    async status(text: string): Promise<DeploymentStatus> {
      const handle = handleOf(text);
      const deployment = await read(handle.namespace, handle.deployment);
      const name = `Deployment "${handle.deployment}" in namespace "${handle.namespace}"`;
      const by = deployment.spec?.template?.metadata?.annotations?.[PROMOTION_ANNOTATION];
      if (by !== handle.promotion_id || containerOf(deployment, handle).image !== handle.image) {
        return { state: 'failed', link: null, reason: `${name} was changed by ${by ? `promotion ${by}` : 'someone else'} before this rollout finished; it now runs ${containerOf(deployment, handle).image ?? 'no image'}.` };
      }
      if (deployment.metadata?.annotations?.[PAUSED_BY_ANNOTATION] === handle.promotion_id) {
        return { state: 'failed', link: null, reason: `The rollout of ${name} was cancelled and the Deployment paused; roll back, or resume it with kubectl rollout resume.` };
      }
      return rolloutStatus(deployment, name);
    },

    async cancel(text: string): Promise<void> {
      const handle = handleOf(text);
      const deployment = await read(handle.namespace, handle.deployment);
      // Kubernetes cannot undo a rollout half-way; pausing it stops new pods. Only our own rollout is paused.
      if (deployment.spec?.template?.metadata?.annotations?.[PROMOTION_ANNOTATION] !== handle.promotion_id || deployment.spec?.paused) return;
      if (rolloutStatus(deployment, '').state !== 'running') return;
      await patch(handle.namespace, handle.deployment, { metadata: { annotations: { [PAUSED_BY_ANNOTATION]: handle.promotion_id } }, spec: { paused: true } }, PatchStrategy.MergePatch);
    },

    async current(app: string, environment: string): Promise<string | null> {
      const where = { namespace: fill(config.namespace, app, environment), deployment: fill(config.deployment, app, environment), container: fill(config.container, app, environment) };
      const image = containerOf(await read(where.namespace, where.deployment), where).image;
      if (!image) return null;
      return fromTemplate(fill(config.image, app, environment), image) ?? tagOf(image);
    },
  };
}

/** `kubectl rollout status` for a Deployment (kubectl's DeploymentStatusViewer), as a status. */
export function rolloutStatus(deployment: V1Deployment, name: string): DeploymentStatus {
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  if (generation > (status.observedGeneration ?? 0)) return { state: 'running', link: null, detail: 'waiting for the Deployment controller to see the new spec' };
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { state: 'failed', link: null, reason: `${name} exceeded its progress deadline: ${redactSecrets(progressing.message ?? 'no message', [], MAX_SHOWN_DETAIL)}` };
  }
  const wanted = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < wanted) return { state: 'running', link: null, detail: `${updated} out of ${wanted} new replicas have been updated` };
  if (replicas > updated) return { state: 'running', link: null, detail: `${replicas - updated} old replicas are pending termination` };
  if (available < updated) return { state: 'running', link: null, detail: `${available} of ${updated} updated replicas are available` };
  return { state: 'succeeded', link: null };
}

function explain(error: unknown, doing: string, namespace: string, name: string, server: string): DeployError {
  const target = `Deployment "${name}" in namespace "${namespace}"`;
  if (!(error instanceof ApiException)) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code ?? (error as Error).message;
    return new DeployError(`The Kubernetes API at ${server} could not be reached to ${doing} ${target}: ${redactSecrets(String(cause), [], MAX_SHOWN_DETAIL)}.`);
  }
  const status = error.code;
  // Errors other than 401 carry a Status object with Kubernetes's own sentence.
  const said = redactSecrets(statusMessage(error.body), [], MAX_SHOWN_DETAIL);
  const words = said ? ` (${status}: ${said})` : ` (${status})`;
  if (status === 401) return new DeployError(`The Kubernetes API at ${server} refused the credentials${words}. Renew the token in the executor's kubeconfig, or check the service account Shipgate runs as.`);
  if (status === 403) return new DeployError(`Kubernetes denied Shipgate ${doing} access to ${target}${words}. Grant its account get and patch on deployments (apps) in that namespace with a Role and RoleBinding.`);
  if (status === 404) return new DeployError(`Kubernetes has no ${target}${words}. Check the executor's namespace and deployment ({app} and {environment} are filled in).`);
  if (status === 422) return new DeployError(`Kubernetes refused the change to ${target} as invalid${words}.`);
  return new DeployError(`Kubernetes could not ${doing} ${target}${words}.`);
}

/** The `message` of a Status object, which the client hands over parsed or as text; else the text itself. */
function statusMessage(body: unknown): string {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.slice(0, 1000);
    }
  }
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : '';
}

/** `{version}` read back out of IMAGE written from TEMPLATE. */
function fromTemplate(template: string, image: string): string | null {
  const [before = '', after = ''] = template.split('{version}');
  if (!image.startsWith(before) || !image.endsWith(after) || image.length <= before.length + after.length) return null;
  return image.slice(before.length, image.length - after.length);
}

/** The tag of an image reference (`registry:5000/web:1.2` → `1.2`), or null when it has none. */
function tagOf(image: string): string | null {
  const withoutDigest = image.split('@')[0]!;
  const colon = withoutDigest.lastIndexOf(':');
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(colon + 1) : null;
}

/** The `kubernetes` executor type, as the registry in create-executor.ts knows it. */
export const kubernetes: ExecutorType<KubernetesExecutorConfig> = {
  type: 'kubernetes',
  create: (config) => createKubernetesExecutor(config),
  timing: (config) => ({ pollEveryMs: config.poll_every, timeoutMs: config.timeout }),
};
