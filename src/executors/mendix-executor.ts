import { z } from 'zod';
import { duration } from '../config/duration.js';
import { MAX_SHOWN_DETAIL, redactSecrets } from '../domain/redact.js';
import { DeployError, type AsyncExecutor, type DeployRequest, type DeploymentHandle, type DeploymentStatus } from './executor.js';
import { commonExecutorKeys, type ExecutorType } from './executor-type.js';
import { describeNetworkError, MAX_ERROR_BODY_BYTES, readAtMost } from './webhook-executor.js';

/** A Mendix environment: its mode (Test, Acceptance, Production or a flexible environment's name), and the settings it must start with. */
const mendixEnvironment = z.union([
  z.string().min(1).transform((mode) => ({ mode, constants: {} as Record<string, string>, scheduled_events: {} as Record<string, boolean> })),
  z
    .object({
      mode: z.string().min(1, 'expected the Mendix environment mode (Test, Acceptance, Production, or a flexible environment name)'),
      /** Constant values set before the start, by qualified name (`MyModule.ApiUrl`). */
      constants: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
      /** Scheduled events switched on (true) or off (false) before the start, by qualified name. */
      scheduled_events: z.record(z.string().min(1), z.boolean()).default({}),
    })
    .strict(),
]);

/**
 * `type: mendix`. Mendix Cloud Deploy API v1: a deployment there is a restart. Shipgate
 * finds the package whose Version is the promoted version, stops the environment,
 * transports the package, applies the environment's constants and scheduled events,
 * and starts it again with AutoSyncDb; the start job is followed until Started.
 */
export const mendixExecutorSchema = z
  .object({
    type: z.literal('mendix'),
    api_url: z.url({ protocol: /^https?$/, error: 'expected the http or https URL of the Deploy API, such as https://deploy.mendix.com' }).default('https://deploy.mendix.com'),
    username: z.string().min(1, 'expected the Mendix login name the API key belongs to'),
    api_key: z.string().min(1, 'expected a Mendix API key (write "${MENDIX_API_KEY}" to read it from the environment)'),
    /** The Mendix AppId (the app's sub-domain name). */
    app: z.string().min(1, 'expected the Mendix AppId'),
    /** Shipgate environment → Mendix environment mode, or { mode, constants, scheduled_events }. */
    environments: z.record(z.string(), mendixEnvironment).refine((e) => Object.keys(e).length > 0, 'map at least one Shipgate environment to a Mendix environment mode'),
    timeout: duration.default(30 * 60_000),
    request_timeout: duration.default(30_000),
    ...commonExecutorKeys,
  })
  .strict();

export type MendixExecutorConfig = z.output<typeof mendixExecutorSchema>;

export const mendix: ExecutorType<MendixExecutorConfig> = {
  type: 'mendix',
  create: (config) => new MendixExecutor(config),
  timing: (config) => ({ pollEveryMs: config.poll_every, timeoutMs: config.timeout }),
};

// Shapes from docs.mendix.com "Deploy API – Version 1" and "Build API" (packages).
interface MendixPackage {
  PackageId: string;
  Name?: string;
  Version?: string;
  Status?: string;
}
interface MendixEnvironment {
  Status?: string;
  Mode?: string;
  Url?: string;
  ModelVersion?: string;
}
interface MendixSettings {
  Constants?: { Name: string; Value?: string }[];
  ScheduledEvents?: { Name: string; Value?: string }[];
}

/** What `status` needs: the start job, or (a second `start` found the package already there) none, and the environment is read instead. */
interface MendixHandle {
  mode: string;
  version: string;
  package: string;
  job: string | null;
}

/** Environment statuses that mean a start is under way or done. */
const UP = new Set(['Running', 'Starting']);

export class MendixExecutor implements AsyncExecutor {
  private readonly api: string;

  constructor(private readonly config: MendixExecutorConfig) {
    this.api = config.api_url.replace(/\/+$/, '');
  }

  async start(request: DeployRequest): Promise<DeploymentHandle> {
    const target = this.config.environments[request.environment];
    if (!target) throw new DeployError(`The Mendix executor maps no Mendix environment to "${request.environment}"; add it under environments, such as ${request.environment}: Acceptance.`, true);
    const { mode } = target;
    const pkg = await this.packageFor(request.version);
    const environment = await this.environment(mode);
    const link = environment.Url ?? null;
    const handle = (job: string | null): DeploymentHandle => ({ handle: JSON.stringify({ mode, version: request.version, package: pkg.PackageId, job } satisfies MendixHandle), link });

    // Called again for the same promotion: the package is already there, so neither stop nor transport again.
    if (environment.ModelVersion === request.version && UP.has(environment.Status ?? '')) return handle(null);
    // Refuse a constant or scheduled event the environment does not have before anything is stopped.
    // Constants come from the executor's environment entry and from the app's `settings` for that environment (which win).
    const constants = { ...target.constants, ...(request.settings?.constants ?? {}) };
    const settings = await this.settingsFor(mode, constants, target.scheduled_events);

    if (environment.ModelVersion !== request.version) {
      if (UP.has(environment.Status ?? '')) await this.call('POST', `${this.envPath(mode)}/stop`, undefined, `stop the ${mode} environment`);
      await this.call('POST', `${this.envPath(mode)}/transport`, { PackageId: pkg.PackageId }, `transport package ${pkg.Name ?? pkg.PackageId} to the ${mode} environment`);
    }
    if (settings) await this.call('POST', `${this.envPath(mode)}/settings`, settings, `set the constants and scheduled events of the ${mode} environment`);
    const started = (await this.call('POST', `${this.envPath(mode)}/start`, { AutoSyncDb: true }, `start the ${mode} environment`)) as { JobId?: unknown } | null;
    return handle(typeof started?.JobId === 'string' ? started.JobId : null);
  }

  async status(text: string): Promise<DeploymentStatus> {
    const handle = parseHandle(text);
    const restart = `a Mendix deployment is a restart: the ${handle.mode} environment was stopped, package ${handle.version} transported, and the environment started again`;
    if (handle.job) {
      let job: { Status?: string } | null;
      try {
        job = (await this.call('GET', `${this.envPath(handle.mode)}/start/${encodeURIComponent(handle.job)}`, undefined, `read the start job of the ${handle.mode} environment`, true)) as { Status?: string } | null;
      } catch (error) {
        // The start job answers a failed start with a 500 naming the reason (START_FAILED, DB_SYNC_FAILED…);
        // a 5xx without an errorCode is a proxy or an outage, asked again at the next poll.
        if (error instanceof MendixError && error.status >= 500 && error.code !== '' && !/UNAVAILABLE/.test(error.code)) {
          return { state: 'failed', reason: this.redact(`Mendix could not start the ${handle.mode} environment with ${handle.version}: ${error.said}`), link: null };
        }
        if (!(error instanceof MendixError && error.code === 'NO_SUCH_STARTJOB')) throw error;
        job = null;
      }
      if (job?.Status === 'Starting') return { state: 'running', link: null, detail: `${restart} (Starting)` };
    }
    const environment = await this.environment(handle.mode);
    const link = environment.Url ?? null;
    if (environment.ModelVersion !== handle.version) {
      return { state: 'failed', reason: this.redact(`the Mendix ${handle.mode} environment runs ${environment.ModelVersion ?? 'no package'}, not ${handle.version}: someone else transported another package`), link };
    }
    if (environment.Status === 'Running') return { state: 'succeeded', link };
    if (environment.Status === 'Starting') return { state: 'running', link, detail: `${restart} (Starting)` };
    return { state: 'failed', reason: `the Mendix ${handle.mode} environment is ${environment.Status ?? 'not running'} after its start; its logs in the Mendix Portal say why`, link };
  }

  async current(_app: string, environment: string): Promise<string | null> {
    const target = this.config.environments[environment];
    if (!target) return null;
    const env = await this.environment(target.mode);
    return env.Status === 'Running' ? (env.ModelVersion ?? null) : null;
  }

  private envPath(mode: string): string {
    return `/api/1/apps/${encodeURIComponent(this.config.app)}/environments/${encodeURIComponent(mode)}`;
  }

  private environment(mode: string): Promise<MendixEnvironment> {
    return this.call('GET', this.envPath(mode), undefined, `read the ${mode} environment`) as Promise<MendixEnvironment>;
  }

  /** The package built for VERSION; a package still building is waited for, a failed one refused. */
  private async packageFor(version: string): Promise<MendixPackage> {
    const packages = ((await this.call('GET', `/api/1/apps/${encodeURIComponent(this.config.app)}/packages`, undefined, `list the packages of app ${this.config.app}`)) ?? []) as MendixPackage[];
    const pkg = packages.find((p) => p.Version === version);
    if (!pkg) throw new DeployError(`Mendix app ${this.config.app} has no deployment package with Version ${version}; build one (Build API or the Mendix Portal) from the tag ${version} first.`, true);
    if (pkg.Status === 'Failed') throw new DeployError(`The Mendix package ${pkg.Name ?? pkg.PackageId} (Version ${version}) failed to build; build it again.`, true);
    if (pkg.Status && pkg.Status !== 'Succeeded') throw new DeployError(`The Mendix package ${pkg.Name ?? pkg.PackageId} (Version ${version}) is still ${pkg.Status}; Shipgate will try again.`);
    return pkg;
  }

  /** The settings body to POST, or null when the environment declares none; unknown names are refused here. */
  private async settingsFor(mode: string, constants: Record<string, string>, events: Record<string, boolean>): Promise<MendixSettings | null> {
    if (Object.keys(constants).length === 0 && Object.keys(events).length === 0) return null;
    const current = ((await this.call('GET', `${this.envPath(mode)}/settings`, undefined, `read the settings of the ${mode} environment`)) ?? {}) as MendixSettings;
    const unknown = [
      ...Object.keys(constants).filter((name) => !current.Constants?.some((c) => c.Name === name)).map((name) => `constant ${name}`),
      ...Object.keys(events).filter((name) => !current.ScheduledEvents?.some((e) => e.Name === name)).map((name) => `scheduled event ${name}`),
    ];
    if (unknown.length > 0) throw new DeployError(`The Mendix ${mode} environment has no ${unknown.join(', ')}; check the names (Module.Name) under the executor's environments.`, true);
    return {
      Constants: Object.entries(constants).map(([Name, Value]) => ({ Name, Value })),
      ScheduledEvents: Object.entries(events).map(([Name, on]) => ({ Name, Value: on ? 'Enabled' : 'Disabled' })),
    };
  }

  private async call(method: 'GET' | 'POST', path: string, body: unknown, what: string, rawErrors = false): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.api}${path}`, {
        method,
        headers: { 'content-type': 'application/json', accept: 'application/json', 'mendix-username': this.config.username, 'mendix-apikey': this.config.api_key },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.config.request_timeout),
      });
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${this.config.request_timeout} ms` : describeNetworkError(error);
      throw new DeployError(this.redact(`Mendix could not be reached at ${this.api} to ${what}: ${cause}.`));
    }
    const text = await readAtMost(response, MAX_ERROR_BODY_BYTES).catch(() => '');
    if (response.ok) return text ? parseJson(text) : null;
    const parsed = parseJson(text) as { errorCode?: unknown; errorMessage?: unknown } | null;
    const code = typeof parsed?.errorCode === 'string' ? parsed.errorCode : '';
    const message = typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : text.slice(0, 200) || response.statusText;
    const said = code ? `${code}: ${message}` : message;
    // 4xx: credentials, permissions, an unknown app, environment or package; trying again cannot help.
    const permanent = response.status >= 400 && response.status < 500 && response.status !== 429;
    throw new MendixError(response.status, code, this.redact(said), this.redact(`Mendix refused to ${what} (${response.status} ${said})${hint(response.status, code)}`), permanent && !rawErrors);
  }

  private redact(text: string): string {
    return redactSecrets(text, [this.config.api_key], MAX_SHOWN_DETAIL);
  }
}

/** An error answer from the Deploy API, with its `errorCode`. */
export class MendixError extends DeployError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly said: string,
    message: string,
    permanent: boolean,
  ) {
    super(message, permanent);
  }
}

function hint(status: number, code: string): string {
  if (status === 401) return ': check the executor username and api_key (Mendix Profile → API Keys).';
  if (status === 403) return ': the user needs API Rights and Transport Rights on this environment (app → Environments → Permissions).';
  if (code === 'APP_NOT_FOUND') return ': check the executor app (the Mendix AppId, the app sub-domain).';
  if (status === 404) return ': check the environment modes under the executor environments.';
  return '.';
}

function parseHandle(text: string): MendixHandle {
  const parsed = parseJson(text) as Partial<MendixHandle> | null;
  if (!parsed?.mode || !parsed.version || !parsed.package) throw new DeployError('The Mendix deployment handle is not one Shipgate wrote.', true);
  return { mode: parsed.mode, version: parsed.version, package: parsed.package, job: parsed.job ?? null };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
