// Shapes from the Kubernetes API reference:
// - https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/
//   (read and patch Deployment; DeploymentStatus: observedGeneration, replicas, updatedReplicas,
//   availableReplicas, conditions)
// - https://kubernetes.io/docs/reference/using-api/api-concepts/#patch-and-apply and
//   https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
//   (the three patch content types; anything else → 415 UnsupportedMediaType)
// - https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/ (error Status objects)
// - https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#failed-deployment
//   (Progressing condition, reason ProgressDeadlineExceeded)
// The Deployment controller is played by the test: `observe`, `advance`, `completeRollout`, `exceedDeadline`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../http-server.js';
import { LoopbackFake } from './loopback-fake.js';

export const KUBERNETES_TOKEN = 'kube-token-0123456789abcdef';

export interface FakeContainer {
  name: string;
  image?: string;
  [key: string]: unknown;
}

export interface FakeDeployment {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  metadata: { name: string; namespace: string; generation: number; resourceVersion: string; uid: string; annotations?: Record<string, string> };
  spec: {
    replicas: number;
    paused?: boolean;
    progressDeadlineSeconds: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: { containers: FakeContainer[] } };
  };
  status: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: { type: string; status: string; reason: string; message: string; lastUpdateTime: string; lastTransitionTime: string }[];
  };
}

export interface KubeCall {
  method: string;
  path: string;
  contentType: string | undefined;
  body: unknown;
  status: number;
}

const PATCH_TYPES = ['application/strategic-merge-patch+json', 'application/json-patch+json', 'application/merge-patch+json'];

/**
 * A kubeconfig for SERVER with a token user, as `kubectl config` would write it. The
 * fake speaks plain HTTP, which @kubernetes/client-node only allows with
 * insecure-skip-tls-verify (as for `kubectl proxy`).
 */
export function kubeconfigFor(server: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake',
    `  cluster: { server: "${server}", insecure-skip-tls-verify: true }`,
    'users:',
    '- name: shipgate',
    `  user: { token: "${token}" }`,
    'contexts:',
    '- name: fake',
    '  context: { cluster: fake, user: shipgate }',
    'current-context: fake',
    '',
  ].join('\n');
}

export class FakeKubernetes extends LoopbackFake {
  readonly calls: KubeCall[] = [];
  readonly deployments = new Map<string, FakeDeployment>();
  private version = 1;

  /** A Deployment whose rollout of CONTAINERS has finished. */
  addDeployment(namespace: string, name: string, containers: FakeContainer[], replicas = 3): FakeDeployment {
    const deployment: FakeDeployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, generation: 1, resourceVersion: String(this.version++), uid: `uid-${name}` },
      spec: {
        replicas,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: structuredClone(containers) } },
      },
      status: {},
    };
    this.deployments.set(`${namespace}/${name}`, deployment);
    this.completeRollout(namespace, name);
    return deployment;
  }

  get(namespace: string, name: string): FakeDeployment {
    const deployment = this.deployments.get(`${namespace}/${name}`);
    if (!deployment) throw new Error(`the fake Kubernetes has no Deployment ${namespace}/${name}`);
    return deployment;
  }

  patches(namespace: string, name: string): KubeCall[] {
    return this.calls.filter((c) => c.method === 'PATCH' && c.path === `/apis/apps/v1/namespaces/${namespace}/deployments/${name}` && c.status === 200);
  }

  /** The controller sees the latest spec and starts a new ReplicaSet: no pod of it is ready yet. */
  observe(namespace: string, name: string): void {
    const d = this.get(namespace, name);
    d.status.observedGeneration = d.metadata.generation;
    d.status.updatedReplicas = 0;
    d.status.replicas = d.spec.replicas;
    this.progressing(d, 'True', 'ReplicaSetUpdated', `ReplicaSet "${name}-${d.metadata.generation}" is progressing.`);
  }

  /** The rollout moves on: UPDATED new pods, of which AVAILABLE are available, and REPLICAS pods in all. */
  advance(namespace: string, name: string, counts: { updated: number; available: number; replicas: number }): void {
    const d = this.get(namespace, name);
    Object.assign(d.status, { updatedReplicas: counts.updated, availableReplicas: counts.available, readyReplicas: counts.available, replicas: counts.replicas, unavailableReplicas: Math.max(0, counts.replicas - counts.available) });
  }

  completeRollout(namespace: string, name: string): void {
    const d = this.get(namespace, name);
    const n = d.spec.replicas;
    Object.assign(d.status, { observedGeneration: d.metadata.generation, replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n, unavailableReplicas: 0 });
    this.progressing(d, 'True', 'NewReplicaSetAvailable', `ReplicaSet "${name}-${d.metadata.generation}" has successfully progressed.`);
  }

  exceedDeadline(namespace: string, name: string): void {
    const d = this.get(namespace, name);
    d.status.observedGeneration = d.metadata.generation;
    this.progressing(d, 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${name}-${d.metadata.generation}" has timed out progressing.`);
  }

  private progressing(d: FakeDeployment, status: string, reason: string, message: string): void {
    const now = new Date().toISOString();
    d.status.conditions = [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: now, lastTransitionTime: now },
      { type: 'Progressing', status, reason, message, lastUpdateTime: now, lastTransitionTime: now },
    ];
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const contentType = req.headers['content-type']?.split(';')[0]?.trim();
    let body: unknown;
    const answer = (status: number, payload: unknown) => {
      this.calls.push({ method, path, contentType, body, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const failure = (code: number, reason: string, message: string, details?: object) =>
      answer(code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });

    if (req.headers.authorization !== `Bearer ${KUBERNETES_TOKEN}`) return failure(401, 'Unauthorized', 'Unauthorized');
    const match = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/.exec(path);
    if (!match) return failure(404, 'NotFound', 'the server could not find the requested resource');
    const [namespace, name] = [decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)];
    const deployment = this.deployments.get(`${namespace}/${name}`);
    if (!deployment) return failure(404, 'NotFound', `deployments.apps "${name}" not found`, { name, group: 'apps', kind: 'deployments' });

    if (method === 'GET') return answer(200, deployment);
    if (method !== 'PATCH') return failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);

    if (!contentType || !PATCH_TYPES.includes(contentType)) {
      return failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}, application/apply-patch+yaml`);
    }
    try {
      body = JSON.parse(raw);
    } catch (error) {
      return failure(400, 'BadRequest', `error decoding patch: ${(error as Error).message}`);
    }
    let patched: FakeDeployment;
    try {
      patched =
        contentType === 'application/json-patch+json' ? (jsonPatch(structuredClone(deployment), body) as FakeDeployment)
        : contentType === 'application/merge-patch+json' ? (mergePatch(structuredClone(deployment), body, false) as FakeDeployment)
        : (mergePatch(structuredClone(deployment), body, true) as FakeDeployment);
    } catch (error) {
      return failure(422, 'Invalid', `Deployment.apps "${name}" is invalid: ${(error as Error).message}`, { name, group: 'apps', kind: 'Deployment' });
    }
    const invalid = patched.spec.template.spec.containers.findIndex((c) => typeof c.image !== 'string' || c.image === '');
    if (invalid >= 0) {
      return failure(422, 'Invalid', `Deployment.apps "${name}" is invalid: spec.template.spec.containers[${invalid}].image: Required value`, {
        name,
        group: 'apps',
        kind: 'Deployment',
        causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: `spec.template.spec.containers[${invalid}].image` }],
      });
    }
    // Metadata and status are not the client's to change through a patch, apart from annotations.
    const specChanged = JSON.stringify(patched.spec) !== JSON.stringify(deployment.spec);
    deployment.spec = patched.spec;
    if (patched.metadata.annotations && Object.keys(patched.metadata.annotations).length) deployment.metadata.annotations = patched.metadata.annotations;
    else delete deployment.metadata.annotations;
    if (specChanged) deployment.metadata.generation += 1;
    deployment.metadata.resourceVersion = String(this.version++);
    return answer(200, deployment);
  }
}

/**
 * RFC 7386 merge patch; with STRATEGIC, lists of objects with a `name` (containers, env)
 * are merged by name, as Kubernetes's strategic merge patch does for those fields.
 */
function mergePatch(target: unknown, patch: unknown, strategic: boolean): unknown {
  if (strategic && Array.isArray(patch) && Array.isArray(target) && patch.every((p) => typeof p?.name === 'string')) {
    const merged = [...target] as { name?: string }[];
    for (const item of patch as { name: string }[]) {
      const index = merged.findIndex((t) => t?.name === item.name);
      if (index >= 0) merged[index] = mergePatch(merged[index], item, true) as { name: string };
      else merged.push(item);
    }
    return merged;
  }
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value, strategic);
  }
  return result;
}

/** RFC 6902 JSON patch: add, replace, remove and test. */
function jsonPatch(document: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new Error('a JSON patch must be a list of operations');
  for (const op of operations as { op: string; path: string; value?: unknown }[]) {
    const keys = op.path.split('/').slice(1).map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = keys.pop();
    if (last === undefined) throw new Error(`bad path ${op.path}`);
    let parent = document as Record<string, unknown>;
    for (const key of keys) {
      parent = parent?.[key] as Record<string, unknown>;
      if (parent === undefined || parent === null) throw new Error(`${op.path}: path not found`);
    }
    if (op.op === 'test' && JSON.stringify(parent[last]) !== JSON.stringify(op.value)) throw new Error(`${op.path}: test failed`);
    if (op.op === 'remove') {
      if (!(last in parent)) throw new Error(`${op.path}: nothing to remove`);
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    }
    if (op.op === 'replace') {
      if (!(last in parent)) throw new Error(`${op.path}: nothing to replace`);
      parent[last] = op.value;
    }
    if (op.op === 'add') {
      if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
      else parent[last] = op.value;
    }
    if (!['add', 'remove', 'replace', 'test'].includes(op.op)) throw new Error(`unsupported operation ${op.op}`);
  }
  return document;
}
