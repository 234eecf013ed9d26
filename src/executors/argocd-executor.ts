import { commonExecutorKeys, type ExecutorType } from './executor-type.js';
import { z } from 'zod';
import { duration } from '../config/duration.js';
import { MAX_SHOWN_DETAIL, redactSecrets } from '../domain/redact.js';
import { DeployError, type AsyncExecutor, type DeployRequest, type DeploymentHandle, type DeploymentStatus } from './executor.js';

/**
 * `type: argocd`. The version goes into the Application's spec (the source's
 * `targetRevision`, a Helm parameter or a Kustomize image), then a sync is asked
 * for, carrying the promotion id in its `infos`, so a second `start` finds it.
 */
export const argoCdExecutorSchema = z
  .object({
    type: z.literal('argocd'),
    url: z.url({ protocol: /^https?$/, error: 'expected the http or https URL of the Argo CD server' }),
    /** The URL as written in shipgate.yml (added by the loader), for anything shown to people. */
    url_as_written: z.string().optional(),
    token: z.string().min(1, 'expected an Argo CD API token (write "${NAME}" to read it from the environment)'),
    /** The Application's name; `{app}` and `{environment}` are filled in. */
    application: z.string().min(1),
    /** The source's targetRevision; `{version}` is filled in (for example `v{version}`). */
    revision: z.string().includes('{version}', { error: 'expected a revision with {version} in it, such as "{version}" or "v{version}"' }).optional(),
    /** Or the version is an image tag, set through a Helm parameter or a Kustomize image override. */
    image: z
      .union([z.object({ helm_parameter: z.string().min(1) }).strict(), z.object({ kustomize_image: z.string().min(1) }).strict()], {
        error: 'expected image: { helm_parameter: NAME } or image: { kustomize_image: REGISTRY/NAME }',
      })
      .optional(),
    attempts: commonExecutorKeys.attempts,
    backoff: commonExecutorKeys.backoff,
    poll_every: duration.default(10_000),
    timeout: duration.default(15 * 60_000),
    // TLS is always verified; a private CA is added with NODE_EXTRA_CA_CERTS.
    insecure: z.literal(false, { error: 'Shipgate always verifies TLS; add a private CA with NODE_EXTRA_CA_CERTS instead of insecure: true' }).optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if ((config.revision === undefined) === (config.image === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['revision'], message: 'expected exactly one of revision: "{version}" or image: { helm_parameter | kustomize_image }' });
    }
  });

export type ArgoCdExecutorConfig = z.output<typeof argoCdExecutorSchema>;

/** The `infos` entry that ties an Argo CD operation to a promotion. */
export const PROMOTION_INFO = 'shipgate.promotion';
const REQUEST_TIMEOUT_MS = 10_000;

// The parts of Argo CD's v1alpha1.Application that Shipgate reads (assets/swagger.json).
interface Source {
  targetRevision?: string;
  helm?: { parameters?: { name?: string; value?: string; forceString?: boolean }[] };
  kustomize?: { images?: string[] };
}
interface Info {
  name?: string;
  value?: string;
}
interface Operation {
  info?: Info[];
  initiatedBy?: { username?: string; automated?: boolean };
}
interface Application {
  operation?: Operation;
  spec?: { source?: Source; sources?: Source[] };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    operationState?: { phase?: string; message?: string; operation?: Operation; syncResult?: { revision?: string; source?: Source } };
    history?: { revision?: string; source?: Source }[];
  };
}

interface Handle {
  application: string;
  promotion_id: string;
  version: string;
}

export function createArgoCdExecutor(config: ArgoCdExecutorConfig): AsyncExecutor {
  const base = config.url.replace(/\/+$/, '');
  const nameFor = (app: string, environment: string) => config.application.replaceAll('{app}', app).replaceAll('{environment}', environment);
  const linkFor = (name: string) => `${base}/applications/${encodeURIComponent(name)}`;
  const redact = (text: string) => redactSecrets(text, [config.token], MAX_SHOWN_DETAIL);

  async function call(method: string, path: string, name: string, doing: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${config.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : redact(describeNetworkError(error));
      throw new DeployError(`Argo CD at ${base} could not be reached to ${doing} application "${name}": ${cause}.`);
    }
    const text = await response.text();
    if (response.ok) {
      try {
        return text ? JSON.parse(text) : {};
      } catch {
        // A login page or a proxy's answer: the url does not lead to Argo CD's API.
        throw new DeployError(`${base} answered ${response.status} with something other than JSON to ${doing} application "${name}"; check that the executor's url is the Argo CD server.`);
      }
    }
    throw new ArgoCdError(response.status, argoMessage(text), explain(response.status, redact(argoMessage(text)), name, doing));
  }

  const getApp = (name: string) => call('GET', `/api/v1/applications/${encodeURIComponent(name)}`, name, 'read') as Promise<Application>;

  /** The version as Shipgate wrote it into SOURCE, or null when it is not there. */
  function versionIn(source: Source | undefined): string | null {
    if (!source) return null;
    if (config.revision !== undefined) return fromTemplate(config.revision, source.targetRevision);
    if (config.image && 'helm_parameter' in config.image) {
      const wanted = config.image.helm_parameter;
      return source.helm?.parameters?.find((p) => p.name === wanted)?.value ?? null;
    }
    const image = config.image!.kustomize_image;
    for (const entry of source.kustomize?.images ?? []) {
      const parsed = parseKustomizeImage(entry);
      if (parsed.name === image) return parsed.tag;
    }
    return null;
  }

  /** A merge patch that puts VERSION into the spec, or null when it is there already. */
  function specPatch(source: Source, version: string): object | null {
    if (versionIn(source) === version) return null;
    if (config.revision !== undefined) return { spec: { source: { targetRevision: config.revision.replaceAll('{version}', version) } } };
    // A merge patch replaces a list whole, so the other entries are carried over.
    if (config.image && 'helm_parameter' in config.image) {
      const wanted = config.image.helm_parameter;
      const parameters = (source.helm?.parameters ?? []).filter((p) => p.name !== wanted);
      return { spec: { source: { helm: { parameters: [...parameters, { name: wanted, value: version, forceString: true }] } } } };
    }
    const image = config.image!.kustomize_image;
    const images = (source.kustomize?.images ?? []).filter((entry) => parseKustomizeImage(entry).name !== image);
    return { spec: { source: { kustomize: { images: [...images, `${image}:${version}`] } } } };
  }

  function singleSource(app: Application, name: string): Source {
    if (app.spec?.source) return app.spec.source;
    if (app.spec?.sources?.length) throw new DeployError(`Argo CD application "${name}" has several sources; Shipgate sets the version of single-source applications only. Give the application one source, or deploy it through another executor.`);
    throw new DeployError(`Argo CD application "${name}" has no source to set the version in.`);
  }

  function handleOf(text: string): Handle {
    const parsed = JSON.parse(text) as Partial<Handle>;
    if (!parsed.application || !parsed.promotion_id || !parsed.version) throw new DeployError('The Argo CD deployment handle is not one Shipgate wrote.');
    return parsed as Handle;
  }

  return {
    async start(request: DeployRequest): Promise<DeploymentHandle> {
      const name = nameFor(request.app, request.environment);
      const result: DeploymentHandle = { handle: JSON.stringify({ application: name, promotion_id: request.promotion_id, version: request.version } satisfies Handle), link: linkFor(name) };
      const app = await getApp(name);
      if (isOurs(app.operation, request.promotion_id) || isOurs(app.status?.operationState?.operation, request.promotion_id)) return result;
      const busy = app.operation ?? (isActive(app.status?.operationState?.phase) ? app.status?.operationState?.operation : undefined);
      if (busy) throw new DeployError(`Argo CD application "${name}" is busy with another operation (started by ${initiator(busy)}); Shipgate will try again when it ends.`);

      const patch = specPatch(singleSource(app, name), request.version);
      if (patch) {
        await call('PATCH', `/api/v1/applications/${encodeURIComponent(name)}`, name, 'update', { name, patch: JSON.stringify(patch), patchType: 'merge' });
      }
      const sync = {
        name,
        prune: false,
        ...(config.revision !== undefined ? { revision: config.revision.replaceAll('{version}', request.version) } : {}),
        infos: [
          { name: PROMOTION_INFO, value: request.promotion_id },
          { name: 'shipgate.version', value: request.version },
          { name: 'shipgate.kind', value: request.kind },
        ],
      };
      try {
        await call('POST', `/api/v1/applications/${encodeURIComponent(name)}/sync`, name, 'sync', sync);
      } catch (error) {
        // Two workers starting the same promotion: the loser sees the winner's operation.
        const again = await getApp(name).catch(() => null);
        if (again && isOurs(again.operation ?? again.status?.operationState?.operation, request.promotion_id)) return result;
        throw error;
      }
      return result;
    },

    async status(text: string): Promise<DeploymentStatus> {
      const handle = handleOf(text);
      const link = linkFor(handle.application);
      const app = await getApp(handle.application);
      const state = app.status?.operationState;
      if (!isOurs(state?.operation, handle.promotion_id)) {
        if (isOurs(app.operation, handle.promotion_id)) return { state: 'running', link, detail: 'waiting for the Argo CD controller to start the sync' };
        return { state: 'failed', link, reason: `Argo CD no longer shows Shipgate's sync of ${handle.version}: another operation${state?.operation ? ` (started by ${initiator(state.operation)})` : ''} replaced it.` };
      }
      const phase = state?.phase ?? 'Running';
      if (phase === 'Failed' || phase === 'Error') {
        return { state: 'failed', link, reason: `Argo CD sync ${phase === 'Error' ? 'errored' : 'failed'}: ${redact(state?.message || 'no message')}` };
      }
      if (phase !== 'Succeeded') return { state: 'running', link, detail: `sync ${phase}${state?.message ? `: ${redact(state.message)}` : ''}` };

      const health = app.status?.health;
      if (health?.status === 'Degraded') return { state: 'failed', link, reason: `Argo CD reports the application Degraded: ${redact(health.message || 'no message')}` };
      const onOurRevision = versionIn(state?.syncResult?.source) === handle.version && (!state?.syncResult?.revision || app.status?.sync?.revision === state.syncResult.revision);
      if (health?.status === 'Healthy' && onOurRevision) return { state: 'succeeded', link };
      return { state: 'running', link, detail: `synced; health ${health?.status ?? 'unknown'}${health?.message ? `: ${redact(health.message)}` : ''}` };
    },

    async cancel(text: string): Promise<void> {
      const handle = handleOf(text);
      const app = await getApp(handle.application);
      const state = app.status?.operationState;
      const ours = isOurs(app.operation, handle.promotion_id) || (isOurs(state?.operation, handle.promotion_id) && isActive(state?.phase));
      // Never terminate an operation someone else started.
      if (!ours) return;
      try {
        await call('DELETE', `/api/v1/applications/${encodeURIComponent(handle.application)}/operation`, handle.application, 'terminate the operation of');
      } catch (error) {
        // It ended between the read and the call: nothing is left to stop.
        if (error instanceof ArgoCdError && error.status === 400 && /no operation is in progress/i.test(error.vendorMessage)) return;
        throw error;
      }
    },

    async current(app: string, environment: string): Promise<string | null> {
      const application = await getApp(nameFor(app, environment));
      // History holds successful syncs only: its last entry is what was last deployed.
      const last = application.status?.history?.at(-1);
      return versionIn(last?.source);
    },
  };
}

/** An error answer from Argo CD; the message is already a sentence for people. */
export class ArgoCdError extends DeployError {
  constructor(
    readonly status: number,
    readonly vendorMessage: string,
    message: string,
  ) {
    super(message);
  }
}

function explain(status: number, said: string, name: string, doing: string): string {
  const words = said ? ` (${status}: ${said})` : ` (${status})`;
  if (status === 401) return `Argo CD refused the token${words}. Generate a new one (argocd account generate-token --account ACCOUNT) and put it in the executor's token.`;
  // Without a project in the request, Argo CD answers 403 both for an application it hides and one that does not exist.
  if (status === 403 && said !== 'permission denied') return `Argo CD refused to ${doing} application "${name}"${words}.`;
  if (status === 403) return `Argo CD denied access to application "${name}"${words}: either it does not exist, or the token's account may not ${doing} it. Check the executor's application name and the account's RBAC (applications get, update, sync).`;
  if (status === 404) return `Argo CD has no application "${name}"${words}. Check the executor's application name ({app} and {environment} are filled in).`;
  return `Argo CD could not ${doing} application "${name}"${words}.`;
}

/** The message of a gRPC-gateway error body `{"error", "code", "message"}`, or the start of any other body. */
function argoMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof body.message === 'string' && body.message) return body.message;
    if (typeof body.error === 'string') return body.error;
  } catch {
    // Not JSON: a proxy's page, shown as it is, cut short.
  }
  return text.slice(0, 1000);
}

function isOurs(operation: Operation | undefined, promotionId: string): boolean {
  return operation?.info?.some((i) => i.name === PROMOTION_INFO && i.value === promotionId) ?? false;
}

function isActive(phase: string | undefined): boolean {
  return phase === 'Running' || phase === 'Terminating';
}

function initiator(operation: Operation): string {
  if (operation.initiatedBy?.automated) return 'automated sync';
  return operation.initiatedBy?.username || 'someone else';
}

/** `{version}` read back out of VALUE written from TEMPLATE (`v{version}` and `v1.4.2` give `1.4.2`). */
function fromTemplate(template: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  const [before = '', after = ''] = template.split('{version}');
  if (!value.startsWith(before) || !value.endsWith(after) || value.length < before.length + after.length) return null;
  return value.slice(before.length, value.length - after.length) || null;
}

/** Kustomize image overrides are `name:tag`, `name=new-name:tag` or `name@digest`. */
function parseKustomizeImage(entry: string): { name: string; tag: string | null } {
  const [name = '', replacement] = entry.includes('=') ? entry.split('=', 2) : [undefined, entry];
  const ref = replacement ?? entry;
  const at = ref.indexOf('@');
  const withoutDigest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > withoutDigest.lastIndexOf('/');
  const own = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
  return { name: name || own, tag: hasTag ? withoutDigest.slice(colon + 1) : null };
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** The `argocd` executor type, as the registry in create-executor.ts knows it. */
export const argocd: ExecutorType<ArgoCdExecutorConfig> = {
  type: 'argocd',
  create: (config) => createArgoCdExecutor(config),
  timing: (config) => ({ pollEveryMs: config.poll_every, timeoutMs: config.timeout }),
};
