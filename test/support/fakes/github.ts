/**
 * A strict fake of the parts of GitHub's REST API the github-actions executor uses,
 * shaped after docs.github.com:
 *
 * - REST "Workflows": Create a workflow dispatch event
 *   (POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches: 204, or 200
 *   with `workflow_run_id`, `run_url`, `html_url` when the body asks `return_run_details`).
 * - REST "Workflow runs": List workflow runs for a workflow
 *   (GET …/actions/workflows/{workflow_id}/runs, filters `event`, `created`, `per_page`, `page`),
 *   Get a workflow run (GET …/actions/runs/{run_id}), Cancel a workflow run
 *   (POST …/actions/runs/{run_id}/cancel: 202; 409 once completed).
 * - REST "GitHub Apps": Create an installation access token for an app
 *   (POST /app/installations/{installation_id}/access_tokens: 201 with `token`, `expires_at`),
 *   authenticated by the app's RS256 JWT ("Generating a JSON Web Token for a GitHub App").
 *
 * Refuses what GitHub refuses: no or a wrong token → 401 "Bad credentials"; an unknown
 * repository or workflow → 404 "Not Found"; no `ref`, an input the workflow does not
 * declare or a required one left out → 422 with GitHub's message. Every call is recorded.
 * A run moves queued → in_progress → completed one step per read while `conclude` is
 * set; tests can also move it themselves.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { listen, readBody } from '../http-server.js';

export interface FakeWorkflow {
  id: number;
  /** The file name under .github/workflows. */
  file: string;
  /** Declared under on.workflow_dispatch.inputs; `true` when required. */
  inputs: Record<string, boolean>;
  /** The workflow's `run-name`, with `${{ inputs.NAME }}` expressions. */
  runName: string;
}

export interface FakeRun {
  id: number;
  workflowId: number;
  name: string;
  display_title: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  html_url: string;
  created_at: string;
  event: 'workflow_dispatch';
  head_branch: string;
  inputs: Record<string, string>;
}

export interface GitHubCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | null;
  status: number;
}

const DOCS = {
  dispatch: 'https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event',
  listRuns: 'https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow',
  getRun: 'https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run',
  cancel: 'https://docs.github.com/rest/actions/workflow-runs#cancel-a-workflow-run',
  installationToken: 'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app',
  rest: 'https://docs.github.com/rest',
};

export const GITHUB_TOKEN = 'ghp_fakeTokenForShipgateTests0123456789';

export class FakeGitHub {
  readonly calls: GitHubCall[] = [];
  readonly runs: FakeRun[] = [];
  /** Personal access tokens GitHub accepts. */
  readonly tokens = new Set([GITHUB_TOKEN]);
  /** Installation tokens minted for the app, by token. */
  readonly installationTokens = new Map<string, number>();
  /** OWNER/REPO → its workflows. */
  readonly repositories = new Map<string, FakeWorkflow[]>();
  /** The conclusion runs reach when they are read enough times; null: they never finish. */
  conclude: string | null = 'success';
  /** false: answer every dispatch 204 without run details, as GitHub did before 2026. */
  returnsRunDetails = true;
  /** The app whose JWTs are accepted. */
  app: { id: string; installationId: string; publicKey: KeyObject } | null = null;
  url = '';
  private nextRunId = 9_000_001;
  private closeServer: () => Promise<void> = async () => undefined;

  constructor(repository = 'acme/web', workflows: FakeWorkflow[] = [DEPLOY_WORKFLOW]) {
    this.repositories.set(repository, workflows);
  }

  withApp(id: string, installationId: string, publicKeyPem: string): this {
    this.app = { id, installationId, publicKey: createPublicKey(publicKeyPem) };
    return this;
  }

  async start(): Promise<this> {
    const { url, close } = await listen(async (req, res) => {
      const raw = await readBody(req);
      const address = new URL(req.url ?? '/', 'http://github.invalid');
      let body: Record<string, unknown> | null = null;
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
      } catch {
        body = null;
      }
      const call: GitHubCall = { method: req.method ?? 'GET', path: address.pathname, query: address.searchParams, headers: req.headers, body, status: 0 };
      this.calls.push(call);
      const [status, answer] = this.route(call);
      call.status = status;
      res.writeHead(status, answer === null ? {} : { 'content-type': 'application/json; charset=utf-8' });
      res.end(answer === null ? undefined : JSON.stringify(answer));
    });
    this.url = url;
    this.closeServer = close;
    return this;
  }

  async close(): Promise<void> {
    await this.closeServer();
  }

  /** Calls to one endpoint, by a short name. */
  callsTo(kind: 'dispatch' | 'list' | 'get' | 'cancel' | 'token'): GitHubCall[] {
    const patterns = { dispatch: /\/dispatches$/, list: /\/workflows\/[^/]+\/runs$/, get: /\/actions\/runs\/\d+$/, cancel: /\/cancel$/, token: /\/access_tokens$/ };
    return this.calls.filter((c) => patterns[kind].test(c.path) && c.status < 400);
  }

  /** Moves a run on, as GitHub's runners would. */
  progress(runId: number, status: 'in_progress' | 'completed', conclusion: string | null = null): void {
    const run = this.runs.find((r) => r.id === runId);
    if (!run) throw new Error(`no run ${runId}`);
    run.status = status;
    run.conclusion = status === 'completed' ? (conclusion ?? 'success') : null;
  }

  private route(call: GitHubCall): [number, unknown] {
    if (call.method === 'POST' && /^\/app\/installations\/[^/]+\/access_tokens$/.test(call.path)) return this.installationToken(call);
    if (!this.authorized(call.headers)) return [401, { message: 'Bad credentials', documentation_url: DOCS.rest, status: '401' }];
    const version = call.headers['x-github-api-version'];
    if (version !== undefined && version !== '2022-11-28' && version !== '2026-03-10') {
      return [400, { message: `API version ${String(version)} is not supported.`, documentation_url: DOCS.rest, status: '400' }];
    }
    const repoMatch = /^\/repos\/([^/]+)\/([^/]+)\/actions\/(.*)$/.exec(call.path);
    const workflows = repoMatch ? this.repositories.get(`${repoMatch[1]}/${repoMatch[2]}`) : undefined;
    if (!repoMatch || !workflows) return notFound(DOCS.rest);
    const rest = repoMatch[3]!;
    const repository = `${repoMatch[1]}/${repoMatch[2]}`;
    let m: RegExpExecArray | null;
    if ((m = /^workflows\/([^/]+)\/dispatches$/.exec(rest)) && call.method === 'POST') {
      const workflow = findWorkflow(workflows, decodeURIComponent(m[1]!));
      return workflow ? this.dispatch(repository, workflow, call.body) : notFound(DOCS.dispatch);
    }
    if ((m = /^workflows\/([^/]+)\/runs$/.exec(rest)) && call.method === 'GET') {
      const workflow = findWorkflow(workflows, decodeURIComponent(m[1]!));
      return workflow ? this.list(workflow, call.query) : notFound(DOCS.listRuns);
    }
    if ((m = /^runs\/(\d+)$/.exec(rest)) && call.method === 'GET') {
      const run = this.runs.find((r) => r.id === Number(m![1]));
      if (!run) return notFound(DOCS.getRun);
      this.advance(run);
      return [200, this.shown(run, repository)];
    }
    if ((m = /^runs\/(\d+)\/cancel$/.exec(rest)) && call.method === 'POST') {
      const run = this.runs.find((r) => r.id === Number(m![1]));
      if (!run) return notFound(DOCS.cancel);
      if (run.status === 'completed') return [409, { message: 'Cannot cancel a workflow run that is completed.', documentation_url: DOCS.cancel, status: '409' }];
      run.status = 'completed';
      run.conclusion = 'cancelled';
      return [202, {}];
    }
    return notFound(DOCS.rest);
  }

  private authorized(headers: IncomingHttpHeaders): boolean {
    const token = /^(?:Bearer|token) (.+)$/.exec(String(headers.authorization ?? ''))?.[1];
    if (!token) return false;
    const expires = this.installationTokens.get(token);
    return this.tokens.has(token) || (expires !== undefined && expires > Date.now());
  }

  private dispatch(repository: string, workflow: FakeWorkflow, body: Record<string, unknown> | null): [number, unknown] {
    if (!body) return [400, { message: 'Problems parsing JSON', documentation_url: DOCS.dispatch, status: '400' }];
    if (typeof body.ref !== 'string' || body.ref === '') {
      return [422, { message: 'Invalid request.\n\n"ref" wasn\'t supplied.', documentation_url: DOCS.dispatch, status: '422' }];
    }
    const inputs = (body.inputs ?? {}) as Record<string, unknown>;
    const unexpected = Object.keys(inputs).filter((k) => !(k in workflow.inputs));
    if (unexpected.length) return [422, { message: `Unexpected inputs provided: ${JSON.stringify(unexpected)}`, documentation_url: DOCS.dispatch, status: '422' }];
    const missing = Object.entries(workflow.inputs).find(([k, required]) => required && (inputs[k] === undefined || inputs[k] === ''));
    if (missing) return [422, { message: `Required input '${missing[0]}' not provided`, documentation_url: DOCS.dispatch, status: '422' }];
    if (Object.keys(inputs).length > 25) return [422, { message: 'you may only define up to 25 `inputs` for a `workflow_dispatch` event', documentation_url: DOCS.dispatch, status: '422' }];
    const id = this.nextRunId++;
    const values = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, String(v)]));
    const title = workflow.runName.replace(/\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}/g, (_, k: string) => values[k] ?? '');
    const run: FakeRun = {
      id,
      workflowId: workflow.id,
      name: workflow.file.replace(/\.ya?ml$/, ''),
      display_title: title,
      status: 'queued',
      conclusion: null,
      html_url: `https://github.com/${repository}/actions/runs/${id}`,
      created_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      event: 'workflow_dispatch',
      head_branch: body.ref.replace(/^refs\/heads\//, ''),
      inputs: values,
    };
    this.runs.push(run);
    if (body.return_run_details === true && this.returnsRunDetails) {
      return [200, { workflow_run_id: id, run_url: `${this.url}/repos/${repository}/actions/runs/${id}`, html_url: run.html_url }];
    }
    return [204, null];
  }

  private list(workflow: FakeWorkflow, query: URLSearchParams): [number, unknown] {
    const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
    const page = Math.max(1, Number(query.get('page') ?? 1));
    const created = query.get('created');
    const since = created?.startsWith('>=') ? Date.parse(created.slice(2)) : null;
    if (created && (since === null || Number.isNaN(since))) return [422, { message: 'Validation Failed', errors: [{ resource: 'Search', field: 'q', code: 'invalid' }], documentation_url: DOCS.listRuns, status: '422' }];
    const event = query.get('event');
    const matching = this.runs
      .filter((r) => r.workflowId === workflow.id && (!event || r.event === event) && (since === null || Date.parse(r.created_at) >= since - 999))
      .sort((a, b) => b.id - a.id);
    const repository = [...this.repositories.entries()].find(([, ws]) => ws.includes(workflow))![0];
    return [200, { total_count: matching.length, workflow_runs: matching.slice((page - 1) * perPage, page * perPage).map((r) => this.shown(r, repository)) }];
  }

  /** While `conclude` is set, each read moves the run one step on. */
  private advance(run: FakeRun): void {
    if (this.conclude === null || run.status === 'completed') return;
    if (run.status === 'queued') run.status = 'in_progress';
    else this.progress(run.id, 'completed', this.conclude);
  }

  private shown(run: FakeRun, repository: string) {
    return {
      id: run.id,
      name: run.name,
      display_title: run.display_title,
      event: run.event,
      status: run.status,
      conclusion: run.conclusion,
      workflow_id: run.workflowId,
      head_branch: run.head_branch,
      run_number: run.id - 9_000_000,
      run_attempt: 1,
      url: `${this.url}/repos/${repository}/actions/runs/${run.id}`,
      html_url: run.html_url,
      created_at: run.created_at,
      updated_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  }

  private installationToken(call: GitHubCall): [number, unknown] {
    const installation = /^\/app\/installations\/([^/]+)\/access_tokens$/.exec(call.path)![1];
    const jwt = /^Bearer (.+)$/.exec(String(call.headers.authorization ?? ''))?.[1] ?? '';
    const problem = this.jwtProblem(jwt);
    if (problem) return [401, { message: problem, documentation_url: DOCS.installationToken, status: '401' }];
    if (installation !== this.app!.installationId) return notFound(DOCS.installationToken);
    const token = `ghs_installation${this.installationTokens.size}x0123456789abcdef`;
    const expiresAt = Date.now() + 3600_000;
    this.installationTokens.set(token, expiresAt);
    return [201, { token, expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'), permissions: { actions: 'write' }, repository_selection: 'selected' }];
  }

  private jwtProblem(jwt: string): string | null {
    if (!this.app) return 'A JSON web token could not be decoded';
    const [header, payload, signature] = jwt.split('.');
    if (!header || !payload || !signature) return 'A JSON web token could not be decoded';
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iat?: number; exp?: number; iss?: unknown };
    if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'RS256') return 'A JSON web token could not be decoded';
    if (!verify('sha256', Buffer.from(`${header}.${payload}`), this.app.publicKey, Buffer.from(signature, 'base64url'))) return 'A JSON web token could not be decoded';
    const now = Date.now() / 1000;
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.iat > now + 60) return "'Issued at' claim ('iat') must be an Integer representing a time in the past.";
    if (claims.exp < now || claims.exp - claims.iat > 600) return "'Expiration time' claim ('exp') is too far in the future.";
    if (String(claims.iss) !== this.app.id) return 'Integration not found';
    return null;
  }
}

/** The workflow of the README's example. */
export const DEPLOY_WORKFLOW: FakeWorkflow = {
  id: 161335,
  file: 'deploy.yml',
  inputs: { version: true, environment: true, promotion: true },
  runName: 'Deploy ${{ inputs.version }} (${{ inputs.promotion }})',
};

function findWorkflow(workflows: FakeWorkflow[], idOrFile: string): FakeWorkflow | undefined {
  return workflows.find((w) => String(w.id) === idOrFile || w.file === idOrFile);
}

function notFound(documentation: string): [number, unknown] {
  return [404, { message: 'Not Found', documentation_url: documentation, status: '404' }];
}
