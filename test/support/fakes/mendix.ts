// Shapes from docs.mendix.com "Deploy API – Version 1" (/apidocs-mxsdk/apidocs/deploy-api/:
// Retrieve Environment, Start Environment, Get Start Environment Status, Stop Environment,
// Transport a Deployment Package, Retrieve/Set Environment Settings) and "Build API"
// (/apidocs-mxsdk/apidocs/build-api/: Retrieve Packages, fields PackageId, Name, Description,
// Version, Creator, CreationDate, Status, Size). Authentication: the Mendix-Username and
// Mendix-ApiKey headers. Error bodies are { errorCode, errorMessage } with the codes those
// pages list: APP_NOT_FOUND, ENVIRONMENT_NOT_FOUND, PACKAGE_NOT_FOUND, INVALID_PARAMETERS,
// APP_IS_RUNNING (transport while running, 403), CONSTANT_NOT_FOUND, SCHEDULED_EVENT_NOT_FOUND,
// INVALID_SCHEDULED_EVENT_PARAMETER, NO_SUCH_STARTJOB, and a failed start reported by the
// start job as 500 with its reason (MISSING_CONSTANT, START_FAILED…). The pages do not show the
// body of a refused key; the fake answers 401 { errorCode: "UNAUTHORIZED" } and, for a user
// without API or Transport Rights, 403 NO_ACCESS / TRANSPORT_NOT_ALLOWED as listed.
// The platform is played by the test: `finishStart`, `failStart`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../http-server.js';
import { LoopbackFake } from './loopback-fake.js';

export const MENDIX_USER = 'ci@example.com';
export const MENDIX_API_KEY = 'mx-key-26587896-1cef-4483-accf';

export interface FakePackage {
  PackageId: string;
  Name: string;
  Description: string;
  Version: string;
  Creator: string;
  CreationDate: number;
  Status: 'Succeeded' | 'Queued' | 'Building' | 'Uploading' | 'Failed';
  Size: number;
}

interface FakeEnvironment {
  Mode: string;
  Status: 'Empty' | 'Stopped' | 'Running' | 'Starting';
  EnvironmentId: string;
  Url: string;
  ModelVersion: string | null;
  PackageId: string | null;
  Production: boolean;
  constants: Map<string, string>;
  events: Map<string, 'Enabled' | 'Disabled'>;
  /** The start job under way or last run. */
  job: { id: string; status: 'Starting' | 'Started' | 'Failed'; errorCode?: string; errorMessage?: string } | null;
}

export interface MendixCall {
  method: string;
  path: string;
  username: string | undefined;
  apiKey: string | undefined;
  body: unknown;
  status: number;
}

export class FakeMendix extends LoopbackFake {
  readonly calls: MendixCall[] = [];
  readonly packages: FakePackage[] = [];
  readonly environments = new Map<string, FakeEnvironment>();
  /** Modes the user may read but not transport to (no Transport Rights). */
  readonly noTransport = new Set<string>();
  appId = 'acme-web';
  private jobs = 0;

  addPackage(version: string, status: FakePackage['Status'] = 'Succeeded'): FakePackage {
    const pkg: FakePackage = { PackageId: `pkg-${version}`, Name: `Main line-${version}.mda`, Description: `Release ${version}`, Version: version, Creator: 'Richard Ford', CreationDate: 1404990271835, Status: status, Size: 15342295 };
    this.packages.push(pkg);
    return pkg;
  }

  /** An environment running VERSION (null: Empty), with these constants and scheduled events. */
  addEnvironment(mode: string, version: string | null, settings: { constants?: Record<string, string>; events?: Record<string, 'Enabled' | 'Disabled'> } = {}): FakeEnvironment {
    const env: FakeEnvironment = {
      Mode: mode,
      Status: version ? 'Running' : 'Empty',
      EnvironmentId: `env-${mode.toLowerCase()}`,
      Url: `https://${this.appId}-${mode.toLowerCase()}.mendixcloud.com`,
      ModelVersion: version,
      PackageId: version ? `pkg-${version}` : null,
      Production: mode === 'Production',
      constants: new Map(Object.entries(settings.constants ?? {})),
      events: new Map(Object.entries(settings.events ?? {})),
      job: null,
    };
    this.environments.set(mode, env);
    return env;
  }

  env(mode: string): FakeEnvironment {
    const env = this.environments.get(mode);
    if (!env) throw new Error(`the fake Mendix has no environment ${mode}`);
    return env;
  }

  /** The successful calls of this kind (stop, transport, settings, start) to MODE, in order. */
  actions(mode: string): string[] {
    const prefix = `/api/1/apps/${this.appId}/environments/${mode}/`;
    return this.calls.filter((c) => c.method === 'POST' && c.path.startsWith(prefix) && c.status < 300).map((c) => c.path.slice(prefix.length));
  }

  /** The runtime came up: the start job is Started and the environment Running. */
  finishStart(mode: string): void {
    const env = this.env(mode);
    if (!env.job || env.job.status !== 'Starting') throw new Error(`no start job runs on ${mode}`);
    env.job.status = 'Started';
    env.Status = 'Running';
  }

  /** The start failed with ERRORCODE and MESSAGE, as the start job then reports it; the environment stays stopped. */
  failStart(mode: string, errorCode: string, errorMessage: string): void {
    const env = this.env(mode);
    if (!env.job) throw new Error(`no start job on ${mode}`);
    Object.assign(env.job, { status: 'Failed', errorCode, errorMessage });
    env.Status = 'Stopped';
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    let parsed: unknown = undefined;
    const answer = (status: number, body: unknown) => {
      this.calls.push({ method, path, username: header(req, 'mendix-username'), apiKey: header(req, 'mendix-apikey'), body: parsed, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const error = (status: number, errorCode: string, errorMessage: string) => answer(status, { errorCode, errorMessage });
    if (raw) {
      try {
        parsed = JSON.parse(raw);
      } catch {
        return error(400, 'INVALID_REQUEST', 'The request body is not valid JSON.');
      }
    }
    if (header(req, 'mendix-username') !== MENDIX_USER || header(req, 'mendix-apikey') !== MENDIX_API_KEY) {
      return error(401, 'UNAUTHORIZED', 'Invalid Mendix-Username or Mendix-ApiKey.');
    }

    const app = /^\/api\/1\/apps\/([^/]+)(\/.*)?$/.exec(path);
    if (!app) return error(404, 'NOT_FOUND', 'Not found.');
    if (decodeURIComponent(app[1]!) !== this.appId) return error(404, 'APP_NOT_FOUND', 'App not found');
    const rest = app[2] ?? '';
    if (method === 'GET' && rest === '/packages') return answer(200, this.packages);

    const envMatch = /^\/environments\/([^/]+)(?:\/(stop|transport|settings|start)(?:\/([^/]+))?)?$/.exec(rest);
    if (!envMatch) return error(404, 'NOT_FOUND', 'Not found.');
    const mode = decodeURIComponent(envMatch[1]!);
    const env = [...this.environments.values()].find((e) => e.Mode.toLowerCase() === mode.toLowerCase());
    if (!env) return error(404, 'ENVIRONMENT_NOT_FOUND', 'Environment not found');
    const route = `${method} ${envMatch[2] ?? ''}${envMatch[3] ? '/job' : ''}`;
    const body = (parsed ?? {}) as Record<string, unknown>;

    switch (route) {
      case 'GET ':
        return answer(200, { Status: env.Status, EnvironmentId: env.EnvironmentId, Mode: env.Mode, Url: env.Url, ModelVersion: env.ModelVersion ?? undefined, MendixVersion: '10.6.1', Production: env.Production });
      case 'POST stop':
        if (env.Status === 'Running' || env.Status === 'Starting') env.Status = 'Stopped';
        env.job = null;
        return answer(200, undefined);
      case 'POST transport': {
        if (typeof body.PackageId !== 'string') return error(400, 'INVALID_PARAMETERS', 'Not enough parameters given. Please set PackageId parameter.');
        if (this.noTransport.has(env.Mode)) return error(403, 'TRANSPORT_NOT_ALLOWED', `No access to transport to environment '${env.Mode}'.`);
        if (env.Status === 'Running' || env.Status === 'Starting') return error(403, 'APP_IS_RUNNING', `The '${env.Mode}' environment of '${this.appId}' must be stopped to do transport.`);
        const pkg = this.packages.find((p) => p.PackageId === body.PackageId);
        if (!pkg) return error(404, 'PACKAGE_NOT_FOUND', 'Package not found.');
        env.PackageId = pkg.PackageId;
        env.ModelVersion = pkg.Version;
        if (env.Status === 'Empty') env.Status = 'Stopped';
        return answer(200, undefined);
      }
      case 'GET settings':
        return answer(200, this.settingsOf(env));
      case 'POST settings': {
        const constants = body.Constants ?? [];
        const events = body.ScheduledEvents ?? [];
        if (!Array.isArray(constants) || !Array.isArray(events)) return error(400, 'INVALID_PARAMETERS', 'Constants and ScheduledEvents must be lists.');
        for (const c of constants as { Name?: unknown; Value?: unknown }[]) {
          if (typeof c?.Name !== 'string' || typeof c.Value !== 'string') return error(400, 'INVALID_PARAMETERS', 'Every constant needs a Name and a Value.');
          if (!env.constants.has(c.Name)) return error(400, 'CONSTANT_NOT_FOUND', `Constant not found: ${c.Name}.`);
        }
        for (const e of events as { Name?: unknown; Value?: unknown }[]) {
          if (typeof e?.Name !== 'string') return error(400, 'INVALID_PARAMETERS', 'Every scheduled event needs a Name.');
          if (!env.events.has(e.Name)) return error(400, 'SCHEDULED_EVENT_NOT_FOUND', `Scheduled Event not found: ${e.Name}.`);
          if (e.Value !== 'Enabled' && e.Value !== 'Disabled') return error(500, 'INVALID_SCHEDULED_EVENT_PARAMETER', 'Scheduled Event parameter should be Enabled or Disabled.');
        }
        for (const c of constants as { Name: string; Value: string }[]) env.constants.set(c.Name, c.Value);
        for (const e of events as { Name: string; Value: 'Enabled' | 'Disabled' }[]) env.events.set(e.Name, e.Value);
        return answer(200, this.settingsOf(env));
      }
      case 'POST start': {
        if (typeof body.AutoSyncDb !== 'boolean') return error(400, 'INVALID_PARAMETERS', 'Not enough parameters given. Please set AutoSyncDb parameter.');
        if (env.Status === 'Running') return error(200, 'ALREADY_STARTED', 'Cannot start app. App is already running.');
        if (!env.PackageId) return error(500, 'NO_MDA_HAS_BEEN_DEPLOYED', 'Cannot start app. There is no MDA deployed.');
        if (env.Status === 'Starting') return error(500, 'APP_ALREADY_HAS_A_STARTING_JOB', 'Cannot start app. There is already a starting job id found.');
        env.Status = 'Starting';
        env.job = { id: `job-${++this.jobs}`, status: 'Starting' };
        return answer(200, { JobId: env.job.id });
      }
      case 'GET start/job': {
        const id = decodeURIComponent(envMatch[3]!);
        if (!env.job || env.job.id !== id) return error(404, 'NO_SUCH_STARTJOB', 'Job not found.');
        if (env.job.status === 'Failed') return error(500, env.job.errorCode!, env.job.errorMessage!);
        return answer(200, { Status: env.job.status });
      }
      default:
        return error(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here.`);
    }
  }

  private settingsOf(env: FakeEnvironment) {
    return {
      Constants: [...env.constants].map(([Name, Value]) => ({ Name, DataType: 'String', Value, DeployedValue: Value })),
      CustomSettings: [],
      ScheduledEvents: [...env.events].map(([Name, Value]) => ({ Name, DeployedValue: Value, Value })),
    };
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
