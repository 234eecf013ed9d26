// Shapes from Argo CD's API reference: the OpenAPI description assets/swagger.json in
// github.com/argoproj/argo-cd (ApplicationService_Get, _Patch, _Sync, _TerminateOperation;
// v1alpha1Application, v1alpha1OperationState, v1alpha1RevisionHistory, runtimeError), and
// https://argo-cd.readthedocs.io/en/stable/developer-guide/api-docs/ (Bearer tokens).
// Error answers follow server/application/application.go and server/server.go: no token →
// 401 "no session information"; a wrong token → 401 "invalid session: …"; an application
// the account may not see, or that does not exist, → 403 "permission denied" (Argo CD does
// not tell them apart when no project is given); a sync while an operation is under way →
// 400 FailedPrecondition "another operation is already in progress"; a sync inside a deny
// sync window → 403 "cannot sync: blocked by sync window"; terminating when
// nothing runs → 400 InvalidArgument "Unable to terminate operation. No operation is in progress".
// The controller is played by the test: `finish`, `fail`, `setHealth`, `endTermination`.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../http-server.js';
import { LoopbackFake } from './loopback-fake.js';

export const ARGOCD_TOKEN = 'argocd-token-0123456789abcdef';

export interface ArgoSource {
  repoURL: string;
  path?: string;
  targetRevision?: string;
  helm?: { parameters?: { name: string; value: string; forceString?: boolean }[]; valueFiles?: string[] };
  kustomize?: { images?: string[] };
}

interface Info {
  name: string;
  value: string;
}

interface Operation {
  sync: { revision?: string; source: ArgoSource; prune?: boolean };
  initiatedBy: { username?: string; automated?: boolean };
  info?: Info[];
}

export interface ArgoApplication {
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: { project: string; source: ArgoSource; destination: { server: string; namespace: string } };
  operation?: Operation;
  status: {
    sync: { status: 'Synced' | 'OutOfSync' | 'Unknown'; revision?: string };
    health: { status: 'Healthy' | 'Progressing' | 'Degraded' | 'Missing' | 'Suspended' | 'Unknown'; message?: string };
    operationState?: {
      operation: Operation;
      phase: 'Running' | 'Terminating' | 'Succeeded' | 'Failed' | 'Error';
      message?: string;
      startedAt: string;
      finishedAt?: string;
      syncResult?: { revision: string; source: ArgoSource };
    };
    history: { id: number; revision: string; source: ArgoSource; deployedAt: string; initiatedBy: Operation['initiatedBy'] }[];
  };
}

export interface ArgoCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
  status: number;
}

/** A git commit id for a revision, as Argo CD resolves a tag or branch to one. */
export function commitOf(revision: string): string {
  return createHash('sha1').update(revision).digest('hex');
}

export class FakeArgoCd extends LoopbackFake {
  readonly calls: ArgoCall[] = [];
  readonly apps = new Map<string, ArgoApplication>();
  /** Applications the token's account may not see. */
  readonly hidden = new Set<string>();
  /** Applications whose project has a deny sync window open now. */
  readonly windowClosed = new Set<string>();
  private version = 1;

  /** An application that last deployed SOURCE successfully and is Healthy. */
  addApplication(name: string, source: ArgoSource): ArgoApplication {
    const revision = commitOf(source.targetRevision ?? 'HEAD');
    const app: ArgoApplication = {
      metadata: { name, namespace: 'argocd', resourceVersion: String(this.version++) },
      spec: { project: 'default', source: structuredClone(source), destination: { server: 'https://kubernetes.default.svc', namespace: name } },
      status: {
        sync: { status: 'Synced', revision },
        health: { status: 'Healthy' },
        history: [{ id: 0, revision, source: structuredClone(source), deployedAt: new Date(0).toISOString(), initiatedBy: { username: 'admin' } }],
      },
    };
    this.apps.set(name, app);
    return app;
  }

  syncCalls(name: string): ArgoCall[] {
    return this.calls.filter((c) => c.method === 'POST' && c.path === `/api/v1/applications/${name}/sync` && c.status === 200);
  }

  /** The controller finishes the sync: the operation Succeeded, the resources report HEALTH. */
  finish(name: string, health: ArgoApplication['status']['health'] = { status: 'Healthy' }): void {
    const app = this.app(name);
    const state = app.status.operationState!;
    state.phase = 'Succeeded';
    state.message = 'successfully synced (all tasks run)';
    state.finishedAt = new Date().toISOString();
    app.status.sync = { status: 'Synced', revision: state.syncResult!.revision };
    app.status.health = health;
    app.status.history.push({ id: app.status.history.length, revision: state.syncResult!.revision, source: structuredClone(state.syncResult!.source), deployedAt: state.finishedAt, initiatedBy: state.operation.initiatedBy });
    delete app.operation;
  }

  /** The controller gives up on the sync with PHASE and MESSAGE. */
  fail(name: string, message: string, phase: 'Failed' | 'Error' = 'Failed'): void {
    const app = this.app(name);
    Object.assign(app.status.operationState!, { phase, message, finishedAt: new Date().toISOString() });
    app.status.sync.status = 'OutOfSync';
    delete app.operation;
  }

  setHealth(name: string, health: ArgoApplication['status']['health']): void {
    this.app(name).status.health = health;
  }

  /** The controller acts on a terminate request, as Argo CD does: the operation Failed, "Operation terminated". */
  endTermination(name: string): void {
    this.fail(name, 'Operation terminated');
  }

  /** Someone deploys REVISION by hand (argocd app set + sync), outside Shipgate: the spec and the history say so at once. */
  deployOutOfBand(name: string, targetRevision: string, username = 'someone'): void {
    const app = this.app(name);
    app.spec.source = { ...app.spec.source, targetRevision };
    const revision = commitOf(targetRevision);
    app.status.sync = { status: 'Synced', revision };
    app.status.history.push({ id: app.status.history.length, revision, source: structuredClone(app.spec.source), deployedAt: new Date().toISOString(), initiatedBy: { username } });
    app.metadata.resourceVersion = String(this.version++);
  }

  /** Someone else starts an operation (an automated sync), which takes the operation slot. */
  startForeignOperation(name: string, username = 'admin'): void {
    const app = this.app(name);
    const operation: Operation = { sync: { revision: app.spec.source.targetRevision, source: structuredClone(app.spec.source) }, initiatedBy: { username } };
    this.begin(app, operation);
  }

  private app(name: string): ArgoApplication {
    const app = this.apps.get(name);
    if (!app) throw new Error(`the fake Argo CD has no application ${name}`);
    return app;
  }

  private begin(app: ArgoApplication, operation: Operation): void {
    app.operation = operation;
    const source = operation.sync.source;
    // The controller picks the operation up at once and resolves the revision to a commit.
    app.status.operationState = {
      operation: structuredClone(operation),
      phase: 'Running',
      message: 'one or more tasks are running',
      startedAt: new Date().toISOString(),
      syncResult: { revision: commitOf(operation.sync.revision ?? source.targetRevision ?? 'HEAD'), source: structuredClone(source) },
    };
    app.status.health = { status: 'Progressing', message: 'Waiting for rollout to finish' };
    app.metadata.resourceVersion = String(this.version++);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const answer = (status: number, body: unknown) => {
      this.calls.push({ method, path, authorization: req.headers.authorization, body: parsed, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    // gRPC status codes as grpc-gateway maps them to HTTP.
    const grpcError = (status: number, code: number, message: string) => answer(status, { error: message, code, message, details: [] });
    let parsed: unknown = undefined;
    if (raw) {
      try {
        parsed = JSON.parse(raw);
      } catch (error) {
        return grpcError(400, 3, `invalid character in request body: ${(error as Error).message}`);
      }
    }

    const auth = req.headers.authorization;
    if (!auth) return grpcError(401, 16, 'no session information');
    if (auth !== `Bearer ${ARGOCD_TOKEN}`) return grpcError(401, 16, 'invalid session: token signature is invalid: signature is invalid');

    const match = /^\/api\/v1\/applications\/([^/]+)(\/sync|\/operation)?$/.exec(path);
    if (!match) return grpcError(404, 5, 'Not Found');
    const name = decodeURIComponent(match[1]!);
    const app = this.apps.get(name);
    if (!app || this.hidden.has(name)) return grpcError(403, 7, 'permission denied');
    const route = `${method} ${match[2] ?? ''}`;

    if (route === 'GET ') return answer(200, app);

    if (route === 'PATCH ') {
      const body = parsed as { patch?: unknown; patchType?: unknown } | undefined;
      if (typeof body?.patch !== 'string') return grpcError(400, 3, 'error decoding json patch: invalid patch');
      if (body.patchType !== 'merge') return grpcError(400, 3, `Patch type '${String(body.patchType ?? '')}' is not supported by this fake; send "merge"`);
      let patch: unknown;
      try {
        patch = JSON.parse(body.patch);
      } catch {
        return grpcError(500, 2, 'error calculating merge patch: Invalid JSON Patch');
      }
      const patched = mergePatch(structuredClone(app), patch) as ArgoApplication;
      app.spec = patched.spec;
      // A spec change makes the application OutOfSync until it is synced.
      app.status.sync.status = 'OutOfSync';
      app.metadata.resourceVersion = String(this.version++);
      return answer(200, app);
    }

    if (route === 'POST /sync') {
      if (this.windowClosed.has(name)) return grpcError(403, 7, 'cannot sync: blocked by sync window');
      if (app.operation || app.status.operationState?.phase === 'Running' || app.status.operationState?.phase === 'Terminating') {
        return grpcError(400, 9, 'error setting app operation: another operation is already in progress');
      }
      const body = (parsed ?? {}) as { revision?: string; infos?: Info[]; prune?: boolean };
      if (body.infos !== undefined && (!Array.isArray(body.infos) || body.infos.some((i) => typeof i?.name !== 'string' || typeof i?.value !== 'string'))) {
        return grpcError(400, 3, 'infos: expected a list of {name, value}');
      }
      this.begin(app, {
        sync: { revision: body.revision ?? app.spec.source.targetRevision, source: structuredClone(app.spec.source), prune: body.prune ?? false },
        initiatedBy: { username: 'shipgate' },
        ...(body.infos ? { info: body.infos } : {}),
      });
      return answer(200, app);
    }

    if (route === 'DELETE /operation') {
      if (!app.operation || !app.status.operationState) return grpcError(400, 3, 'Unable to terminate operation. No operation is in progress');
      app.status.operationState.phase = 'Terminating';
      return answer(200, {});
    }

    return grpcError(501, 12, 'Method Not Allowed');
  }
}

/** RFC 7386 JSON merge patch, as Argo CD's `patchType: merge` applies it. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
