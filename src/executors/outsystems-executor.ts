import { z } from 'zod';
import { duration } from '../config/duration.js';
import { MAX_SHOWN_DETAIL, redactSecrets } from '../domain/redact.js';
import { DeployError, type AsyncExecutor, type DeployRequest, type DeploymentHandle, type DeploymentStatus } from './executor.js';
import { commonExecutorKeys, type ExecutorType } from './executor-type.js';
import { describeNetworkError, MAX_ERROR_BODY_BYTES, readAtMost } from './webhook-executor.js';

/**
 * `type: outsystems`. LifeTime API v2: a deployment plan carries the tagged application
 * version from the source environment (the Shipgate `from` environment's LifeTime
 * environment) to the target, and is started and followed to its end. The plan's notes
 * carry the promotion id, so a second `start` finds the plan instead of making another.
 */
export const outSystemsExecutorSchema = z
  .object({
    type: z.literal('outsystems'),
    /** The LifeTime API base, https://LIFETIME_HOST/lifetimeapi/rest/v2. */
    url: z.url({ protocol: /^https?$/, error: 'expected the LifeTime API URL, such as https://lifetime.example.com/lifetimeapi/rest/v2' }),
    /** The URL as written in shipgate.yml (added by the loader), for anything shown to people. */
    url_as_written: z.string().optional(),
    token: z.string().min(1, 'expected a LifeTime service account token (write "${LIFETIME_TOKEN}" to read it from the environment)'),
    /** The application's name in LifeTime. */
    application: z.string().min(1, 'expected the LifeTime application name'),
    /** Shipgate environment → LifeTime environment name. */
    environments: z.record(z.string(), z.string().min(1)).refine((e) => Object.keys(e).length > 0, 'map at least one Shipgate environment to a LifeTime environment'),
    /** For a rollback (which has no `from`): the LifeTime environment the older version is deployed from, per Shipgate environment. */
    default_source: z.record(z.string(), z.string().min(1)).default({}),
    timeout: duration.default(30 * 60_000),
    request_timeout: duration.default(30_000),
    ...commonExecutorKeys,
  })
  .strict();

export type OutSystemsExecutorConfig = z.output<typeof outSystemsExecutorSchema>;

export const outsystems: ExecutorType<OutSystemsExecutorConfig> = {
  type: 'outsystems',
  create: (config) => new OutSystemsExecutor(config),
  timing: (config) => ({ pollEveryMs: config.poll_every, timeoutMs: config.timeout }),
};

// Shapes from success.outsystems.com "LifeTime API v2" (Applications, Environments, Deployments).
interface Keyed {
  Key: string;
  Name?: string;
}
interface AppVersion {
  Key: string;
  Version?: string;
}
interface Deployment {
  Key: string;
  Notes?: string;
  TargetEnvironmentKey?: string;
  DetailsURL?: string;
}
interface DeploymentState {
  DeploymentStatus?: string;
  Info?: string;
  DeploymentLog?: { Message?: string; Type?: string; Instant?: string }[];
}

interface OutSystemsHandle {
  deployment: string;
  version: string;
  target: string;
}

const SUCCEEDED = new Set(['finished_successful', 'finished_with_warnings']);
const FAILED = new Set(['finished_with_errors', 'aborted', 'force_finished']);

/** The tag in a plan's notes that ties it to a promotion. */
export function promotionTag(promotionId: string): string {
  return `[shipgate ${promotionId}]`;
}

export class OutSystemsExecutor implements AsyncExecutor {
  private readonly api: string;

  constructor(private readonly config: OutSystemsExecutorConfig) {
    this.api = config.url.replace(/\/+$/, '');
  }

  async start(request: DeployRequest): Promise<DeploymentHandle> {
    const targetName = this.config.environments[request.environment];
    if (!targetName) throw new DeployError(`The OutSystems executor maps no LifeTime environment to "${request.environment}"; add it under environments, such as ${request.environment}: Quality.`, true);
    const sourceName = this.sourceFor(request);
    const environments = (await this.call('GET', '/environments/', undefined, 'list the LifeTime environments')) as Keyed[] | null;
    const target = this.named(environments, targetName, 'environment');
    const source = this.named(environments, sourceName, 'environment');
    const handle = (deployment: Deployment): DeploymentHandle => ({
      handle: JSON.stringify({ deployment: deployment.Key, version: request.version, target: targetName } satisfies OutSystemsHandle),
      link: deployment.DetailsURL || null,
    });

    // Called again for the same promotion: find the plan by its notes, start it if it was only saved.
    const query = new URLSearchParams({ TargetEnvironmentKey: target.Key });
    const existing = ((await this.call('GET', `/deployments/?${query}`, undefined, `list the deployments to ${targetName}`)) as Deployment[] | null)?.find((d) => d.Notes?.includes(promotionTag(request.promotion_id)));
    if (existing) {
      const state = (await this.call('GET', `/deployments/${encodeURIComponent(existing.Key)}/status/`, undefined, `read deployment ${existing.Key}`)) as DeploymentState | null;
      if (state?.DeploymentStatus === 'saved') await this.startPlan(existing.Key);
      return handle(existing);
    }

    const applications = (await this.call('GET', '/applications/', undefined, 'list the LifeTime applications')) as Keyed[] | null;
    const application = this.named(applications, this.config.application, 'application');
    const versions = ((await this.call('GET', `/applications/${encodeURIComponent(application.Key)}/versions/`, undefined, `list the versions of ${this.config.application}`)) ?? []) as AppVersion[];
    const version = versions.find((v) => v.Version === request.version);
    if (!version) throw new DeployError(`LifeTime has no tagged version ${request.version} of ${this.config.application}; tag it in LifeTime (or Service Studio) first.`, true);

    const notes = `${promotionTag(request.promotion_id)} ${request.kind === 'rollback' ? 'Rollback' : 'Promotion'} of ${this.config.application} ${request.version} to ${targetName}, requested by ${request.requested_by}${request.reason ? `: ${request.reason}` : ''}`;
    const created = await this.call(
      'POST',
      '/deployments/',
      { ApplicationOperations: [{ ApplicationVersionKey: version.Key }], SourceEnvironmentKey: source.Key, TargetEnvironmentKey: target.Key, Notes: notes.slice(0, 1000) },
      `create a deployment of ${this.config.application} ${request.version} from ${sourceName} to ${targetName}`,
    );
    const key = typeof created === 'string' ? created : null;
    if (!key) throw new DeployError('LifeTime created the deployment but answered without its key.');
    await this.startPlan(key);
    const details = (await this.call('GET', `/deployments/${encodeURIComponent(key)}/`, undefined, `read deployment ${key}`).catch(() => null)) as { Deployment?: Deployment } | null;
    return handle({ Key: key, DetailsURL: details?.Deployment?.DetailsURL });
  }

  async status(text: string): Promise<DeploymentStatus> {
    const handle = parseHandle(text);
    const state = ((await this.call('GET', `/deployments/${encodeURIComponent(handle.deployment)}/status/`, undefined, `read deployment ${handle.deployment}`)) ?? {}) as DeploymentState;
    const status = state.DeploymentStatus ?? 'unknown';
    const log = state.DeploymentLog ?? [];
    const last = log.at(-1)?.Message;
    if (SUCCEEDED.has(status)) return { state: 'succeeded', link: null };
    if (FAILED.has(status)) {
      const errors = log.filter((m) => m.Type === 'Error' && m.Message).map((m) => m.Message!);
      const said = errors.length > 0 ? errors.join(' ') : (last ?? 'no message');
      return { state: 'failed', reason: this.redact(`the LifeTime deployment of ${handle.version} to ${handle.target} ${status.replaceAll('_', ' ')}: ${said}`), link: null };
    }
    // Someone must act in LifeTime; it is not a success, and the deploy job's timeout ends it if nobody does.
    if (status === 'needs_user_intervention') {
      return { state: 'running', link: null, detail: this.redact(`LifeTime is waiting for someone to act on the deployment (${state.Info || 'needs_user_intervention'})${last ? `: ${last}` : ''}`) };
    }
    return { state: 'running', link: null, detail: this.redact(`LifeTime deployment ${status}${last ? `: ${last}` : ''}`) };
  }

  async cancel(text: string): Promise<void> {
    const handle = parseHandle(text);
    await this.command(handle.deployment, 'abort');
  }

  private sourceFor(request: DeployRequest): string {
    if (request.from_environment) {
      const name = this.config.environments[request.from_environment];
      if (!name) throw new DeployError(`The OutSystems executor maps no LifeTime environment to "${request.from_environment}", where ${request.version} comes from; add it under environments.`, true);
      return name;
    }
    const name = this.config.default_source[request.environment];
    if (!name) throw new DeployError(`A LifeTime deployment needs a source environment and this ${request.kind} to ${request.environment} has none; name it under default_source, such as ${request.environment}: Quality.`, true);
    return name;
  }

  private named(list: Keyed[] | null, name: string, what: string): Keyed {
    const found = list?.find((item) => item.Name === name);
    if (!found) throw new DeployError(`LifeTime has no ${what} named "${name}" that the service account can see; check the name, or the account's permissions on it.`, true);
    return found;
  }

  /** Starts a saved plan; one that someone already started (in LifeTime, or another worker) is left to run. */
  private async startPlan(key: string): Promise<void> {
    try {
      await this.command(key, 'start');
    } catch (error) {
      const state = (await this.call('GET', `/deployments/${encodeURIComponent(key)}/status/`, undefined, `read deployment ${key}`).catch(() => null)) as DeploymentState | null;
      if (state?.DeploymentStatus && state.DeploymentStatus !== 'saved') return;
      throw error;
    }
  }

  private async command(key: string, command: 'start' | 'abort'): Promise<void> {
    await this.call('POST', `/deployments/${encodeURIComponent(key)}/${command}/`, undefined, `${command} deployment ${key}`);
  }

  private async call(method: 'GET' | 'POST', path: string, body: unknown, what: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.api}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.config.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.config.request_timeout),
      });
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${this.config.request_timeout} ms` : describeNetworkError(error);
      throw new DeployError(this.redact(`LifeTime could not be reached at ${this.config.url_as_written ?? this.api} to ${what}: ${cause}.`));
    }
    const text = await readAtMost(response, MAX_ERROR_BODY_BYTES).catch(() => '');
    // A created deployment's key comes back as a JSON string or as plain text.
    if (response.ok) return text ? (parseJson(text) ?? text.trim()) : null;
    const parsed = parseJson(text) as { Errors?: unknown } | null;
    const errors = Array.isArray(parsed?.Errors) ? parsed.Errors.filter((e): e is string => typeof e === 'string') : [];
    const said = errors.length > 0 ? errors.join(' ') : text.slice(0, 200) || response.statusText;
    const permanent = response.status >= 400 && response.status < 500 && response.status !== 429;
    throw new DeployError(this.redact(`LifeTime refused to ${what} (${response.status} ${said})${hint(response.status)}`), permanent);
  }

  private redact(text: string): string {
    return redactSecrets(text, [this.config.token], MAX_SHOWN_DETAIL);
  }
}

function hint(status: number): string {
  if (status === 401) return ': check the service account token (LifeTime → User Management → Service Accounts).';
  if (status === 403) return ': the service account needs the Change and Deploy Applications permission on the source and target environments.';
  if (status === 404) return ': check the application and environment names.';
  return '.';
}

function parseHandle(text: string): OutSystemsHandle {
  const parsed = parseJson(text) as Partial<OutSystemsHandle> | null;
  if (!parsed?.deployment || !parsed.version || !parsed.target) throw new DeployError('The OutSystems deployment handle is not one Shipgate wrote.', true);
  return parsed as OutSystemsHandle;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
