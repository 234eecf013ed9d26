// Shapes from success.outsystems.com "LifeTime API v2" (the REST API reference under
// /documentation/11/reference/outsystems_apis/lifetime_api_v2/): GET /applications/ (Key, Name),
// GET /applications/{Key}/versions/ (Key, Version), GET /environments/ (Key, Name),
// POST /deployments/ with { ApplicationOperations: [{ ApplicationVersionKey }], SourceEnvironmentKey,
// TargetEnvironmentKey, Notes } answered 201 with the new deployment's key, GET /deployments/
// (Deployment_v2: Key, Notes, TargetEnvironmentKey, DetailsURL), GET /deployments/{Key}/,
// POST /deployments/{Key}/{start|continue|abort}/ answered 202, and GET /deployments/{Key}/status/
// → { DeploymentStatus, Info, DeploymentLog: [{ Instant, Message, Type }] }. Error bodies are the
// API's Exception { Errors: [..], StatusCode }. Authentication: a service account's bearer token;
// none or a wrong one → 401, an environment the account may not deploy to → 403.
// LifeTime is played by the test: `advance`, `needIntervention`, `finish`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, readBody } from '../http-server.js';

export const LIFETIME_TOKEN = 'lt-service-account-0123456789abcdef';

export interface LifeTimeDeployment {
  Key: string;
  SourceEnvironmentKey: string;
  TargetEnvironmentKey: string;
  Notes: string;
  ApplicationOperations: { ApplicationVersionKey: string }[];
  DetailsURL: string;
  status: { DeploymentStatus: string; Info: string; DeploymentLog: { Instant: string; Message: string; Type: 'Info' | 'Warning' | 'Error' }[] };
}

export interface LifeTimeCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
  status: number;
}

export class FakeLifeTime {
  readonly calls: LifeTimeCall[] = [];
  readonly environments = [
    { Key: 'env-dev', Name: 'Development' },
    { Key: 'env-qa', Name: 'Quality' },
    { Key: 'env-prd', Name: 'Production' },
  ];
  readonly applications = [{ Key: 'app-orders', Name: 'Orders' }];
  readonly versions = new Map<string, { Key: string; Version: string }[]>([['app-orders', []]]);
  readonly deployments: LifeTimeDeployment[] = [];
  /** Environments the service account may not deploy to. */
  readonly forbidden = new Set<string>();
  /** What runs where: environment key → version, as LifeTime records it after a deployment. */
  readonly running = new Map<string, string>();
  url = '';
  private server: Awaited<ReturnType<typeof listen>> | null = null;

  async start(): Promise<this> {
    this.server = await listen((req, res) => this.handle(req, res));
    this.url = `${this.server.url}/lifetimeapi/rest/v2`;
    return this;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  tag(version: string, app = 'app-orders'): void {
    this.versions.get(app)!.push({ Key: `ver-${version}`, Version: version });
  }

  deploymentsTo(name: string): LifeTimeDeployment[] {
    const key = this.environments.find((e) => e.Name === name)!.Key;
    return this.deployments.filter((d) => d.TargetEnvironmentKey === key);
  }

  /** The last deployment, which must be under way: LifeTime moves only a started plan. */
  private latest(): LifeTimeDeployment {
    const d = this.deployments.at(-1);
    if (!d || !['running', 'needs_user_intervention'].includes(d.status.DeploymentStatus)) throw new Error('the fake LifeTime has no deployment under way');
    return d;
  }

  /** The running deployment logs MESSAGE. */
  advance(message: string): void {
    this.log(this.latest(), message, 'Info');
  }

  /** The deployment stops for someone to act, with INFO and the platform's MESSAGE. */
  needIntervention(info: string, message: string): void {
    const d = this.latest();
    d.status.DeploymentStatus = 'needs_user_intervention';
    d.status.Info = info;
    this.log(d, message, 'Warning');
  }

  /** The deployment ends with STATUS; a successful one makes its version run in the target. */
  finish(status: 'finished_successful' | 'finished_with_warnings' | 'finished_with_errors' | 'aborted', message = 'Deployment finished.'): void {
    const d = this.latest();
    d.status.DeploymentStatus = status;
    d.status.Info = '';
    this.log(d, message, status === 'finished_with_errors' ? 'Error' : 'Info');
    if (status.startsWith('finished_with_warnings') || status === 'finished_successful') {
      this.running.set(d.TargetEnvironmentKey, d.ApplicationOperations[0]!.ApplicationVersionKey.replace(/^ver-/, ''));
    }
  }

  private log(d: LifeTimeDeployment, Message: string, Type: 'Info' | 'Warning' | 'Error'): void {
    d.status.DeploymentLog.push({ Instant: new Date().toISOString(), Message, Type });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const [pathPart = '/', queryPart = ''] = (req.url ?? '/').split('?');
    const method = req.method ?? 'GET';
    let parsed: unknown = undefined;
    const answer = (status: number, body: unknown) => {
      this.calls.push({ method, path: pathPart, authorization: req.headers.authorization, body: parsed, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const error = (status: number, ...errors: string[]) => answer(status, { Errors: errors, StatusCode: status });
    if (raw) {
      try {
        parsed = JSON.parse(raw);
      } catch {
        return error(400, 'The request body is not valid JSON.');
      }
    }
    if (req.headers.authorization !== `Bearer ${LIFETIME_TOKEN}`) return error(401, 'Invalid or expired authentication token.');

    const base = '/lifetimeapi/rest/v2';
    if (!pathPart.startsWith(base)) return error(404, 'Not found.');
    const path = pathPart.slice(base.length).replace(/\/+$/, '');
    const query = new URLSearchParams(queryPart);
    const route = `${method} ${path.replace(/^\/applications\/[^/]+\/versions$/, '/applications/:app/versions').replace(/^\/deployments\/[^/]+/, '/deployments/:key')}`;
    const segment = (i: number) => decodeURIComponent(path.split('/')[i] ?? '');

    switch (route) {
      case 'GET /environments':
        return answer(200, this.environments);
      case 'GET /applications':
        return answer(200, this.applications);
      case 'GET /applications/:app/versions': {
        const versions = this.versions.get(segment(2));
        if (!versions) return error(404, `Application with key ${segment(2)} not found.`);
        return answer(200, versions);
      }
      case 'GET /deployments': {
        const target = query.get('TargetEnvironmentKey');
        const list = this.deployments.filter((d) => !target || d.TargetEnvironmentKey === target).reverse().map(({ status: _status, ...d }) => d);
        return list.length ? answer(200, list) : answer(204, undefined);
      }
      case 'POST /deployments': {
        const body = (parsed ?? {}) as Partial<LifeTimeDeployment>;
        const missing = ['ApplicationOperations', 'SourceEnvironmentKey', 'TargetEnvironmentKey', 'Notes'].filter((k) => (body as Record<string, unknown>)[k] === undefined);
        if (missing.length) return error(400, `Missing required field(s): ${missing.join(', ')}.`);
        if (!Array.isArray(body.ApplicationOperations) || body.ApplicationOperations.some((op) => typeof op?.ApplicationVersionKey !== 'string')) {
          return error(400, 'Every application operation needs an ApplicationVersionKey.');
        }
        for (const key of [body.SourceEnvironmentKey!, body.TargetEnvironmentKey!]) {
          if (!this.environments.some((e) => e.Key === key)) return error(404, `Environment with key ${key} not found.`);
        }
        if (this.forbidden.has(body.TargetEnvironmentKey!)) return error(403, `The service account does not have permissions to deploy to environment ${body.TargetEnvironmentKey}.`);
        const known = [...this.versions.values()].flat();
        const unknown = body.ApplicationOperations.find((op) => !known.some((v) => v.Key === op.ApplicationVersionKey));
        if (unknown) return error(404, `Application version with key ${unknown.ApplicationVersionKey} not found.`);
        const Key = `dep-${this.deployments.length + 1}`;
        this.deployments.push({
          Key,
          SourceEnvironmentKey: body.SourceEnvironmentKey!,
          TargetEnvironmentKey: body.TargetEnvironmentKey!,
          Notes: String(body.Notes),
          ApplicationOperations: body.ApplicationOperations.map((op) => ({ ApplicationVersionKey: op.ApplicationVersionKey })),
          DetailsURL: `${this.url.replace('/lifetimeapi/rest/v2', '')}/lifetime/DeploymentDetails.aspx?Key=${Key}`,
          status: { DeploymentStatus: 'saved', Info: '', DeploymentLog: [] },
        });
        return answer(201, Key);
      }
      default:
        break;
    }

    const deployment = /^\/deployments\/([^/]+)(?:\/(status|start|continue|abort))?$/.exec(path);
    if (!deployment) return error(404, 'Not found.');
    const d = this.deployments.find((x) => x.Key === decodeURIComponent(deployment[1]!));
    if (!d) return error(404, `Deployment with key ${deployment[1]} not found.`);
    const command = deployment[2];
    if (method === 'GET' && !command) {
      const { status: _status, ...plan } = d;
      return answer(200, { Deployment: plan, ApplicationsToDeploy: [], ApplicationsToRedeploy: [], ApplicationConflicts: [], ModulesToDelete: [] });
    }
    if (method === 'GET' && command === 'status') return answer(200, d.status);
    if (method !== 'POST' || !command || command === 'status') return error(404, `Command not found.`);
    const state = d.status.DeploymentStatus;
    if (command === 'start') {
      if (state !== 'saved') return error(400, `Command start can't be executed for deployment ${d.Key}.`);
      d.status.DeploymentStatus = 'running';
      this.log(d, 'Deployment started.', 'Info');
      return answer(202, undefined);
    }
    if (command === 'continue') {
      if (state !== 'needs_user_intervention') return error(400, `Command continue can't be executed for deployment ${d.Key}.`);
      d.status.DeploymentStatus = 'running';
      return answer(202, undefined);
    }
    if (!['saved', 'running', 'needs_user_intervention'].includes(state)) return error(400, `Command abort can't be executed for deployment ${d.Key}.`);
    d.status.DeploymentStatus = 'aborted';
    this.log(d, 'Deployment aborted.', 'Info');
    return answer(202, undefined);
  }
}
