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
 * - REST "Workflow runs": Review custom deployment protection rules for a workflow run
 *   (POST …/actions/runs/{run_id}/deployment_protection_rule with `environment_name`,
 *   `state` approved|rejected and `comment`: 204), the `deployment_callback_url` of
 *   - the webhook event `deployment_protection_rule` (action `requested`), which the fake
 *   SENDS to a receiver as GitHub does (`sendProtectionRule`): signed with the App's
 *   webhook secret (`X-Hub-Signature-256: sha256=HMAC`), with `X-GitHub-Event` and
 *   `X-GitHub-Delivery`. A review for a job not waiting on that environment (or already
 *   reviewed) is refused 422, as is one without `environment_name` or with another state.
 *
 * Refuses what GitHub refuses: no or a wrong token → 401 "Bad credentials"; an unknown
 * repository or workflow → 404 "Not Found"; no `ref`, an input the workflow does not
 * declare or a required one left out → 422 with GitHub's message. Every call is recorded.
 * A run moves queued → in_progress → completed one step per read while `conclude` is
 * set; tests can also move it themselves.
 */
import { createHmac, createPublicKey, randomUUID, verify, type KeyObject } from 'node:crypto';
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

/** A job waiting on an environment guarded by the App's protection rule, and the answer it got. */
export interface WaitingJob {
  repository: string;
  runId: number;
  environment: string;
  review: { state: 'approved' | 'rejected'; comment: string } | null;
}

export interface SentEvent {
  status: number;
  body: Record<string, unknown>;
  delivery: string;
}

export const GITHUB_TOKEN = 'ghp_fakeTokenForShipgateTests0123456789';

export class FakeGitHub {
  readonly calls: GitHubCall[] = [];
  readonly runs: FakeRun[] = [];
  /** Jobs the fake asked a protection rule about (sendProtectionRule), with the answer each got. */
  readonly waiting: WaitingJob[] = [];
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
    if ((m = /^runs\/(\d+)\/deployment_protection_rule$/.exec(rest)) && call.method === 'POST') return this.review(repository, Number(m[1]), call.body);
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

  /**
   * Sends `deployment_protection_rule` (action `requested`) to RECEIVER as GitHub does for a
   * job of run RUN waiting on ENVIRONMENT. `secret` signs it (a wrong one forges it);
   * `delivery` repeats a delivery. The job waits for the answer from then on.
   */
  async sendProtectionRule(
    receiver: string,
    secret: string,
    job: { environment: string; runId: number; sha?: string; ref?: string; payload?: Record<string, unknown>; repository?: string; installationId?: number; delivery?: string; sender?: string },
  ): Promise<SentEvent> {
    const repository = job.repository ?? 'acme/web';
    const [owner] = repository.split('/');
    const sha = job.sha ?? 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
    if (!this.waiting.some((w) => w.repository === repository && w.runId === job.runId && w.environment === job.environment)) {
      this.waiting.push({ repository, runId: job.runId, environment: job.environment, review: null });
    }
    const event = {
      action: 'requested',
      environment: job.environment,
      event: 'push',
      deployment_callback_url: `${this.url}/repos/${repository}/actions/runs/${job.runId}/deployment_protection_rule`,
      deployment: {
        url: `${this.url}/repos/${repository}/deployments/${job.runId + 1}`,
        id: job.runId + 1,
        node_id: 'DE_kwDOfake',
        task: 'deploy',
        original_environment: job.environment,
        environment: job.environment,
        description: null,
        sha,
        ref: job.ref ?? 'main',
        payload: job.payload ?? {},
        creator: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
        statuses_url: `${this.url}/repos/${repository}/deployments/${job.runId + 1}/statuses`,
        repository_url: `${this.url}/repos/${repository}`,
      },
      pull_requests: [],
      repository: { id: 1296269, name: repository.split('/')[1], full_name: repository, private: false, owner: { login: owner }, html_url: `https://github.com/${repository}`, url: `${this.url}/repos/${repository}` },
      organization: { login: owner },
      installation: { id: job.installationId ?? Number(this.app?.installationId ?? 1), node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==' },
      sender: { login: job.sender ?? 'octocat', id: 1, type: 'User' },
    };
    const body = JSON.stringify(event);
    const delivery = job.delivery ?? randomUUID();
    const response = await fetch(`${receiver}/github/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/fake',
        'x-github-event': 'deployment_protection_rule',
        'x-github-delivery': delivery,
        'x-github-hook-installation-target-type': 'integration',
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
      body,
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, delivery };
  }

  /** The answer the job of RUN waiting on ENVIRONMENT got, or null while it waits. */
  reviewOf(runId: number, environment: string, repository = 'acme/web'): WaitingJob['review'] {
    return this.waiting.find((w) => w.repository === repository && w.runId === runId && w.environment === environment)?.review ?? null;
  }

  private review(repository: string, runId: number, body: Record<string, unknown> | null): [number, unknown] {
    const doc = 'https://docs.github.com/rest/actions/workflow-runs#review-custom-deployment-protection-rules-for-a-workflow-run';
    if (!body) return [400, { message: 'Problems parsing JSON', documentation_url: doc, status: '400' }];
    if (typeof body.environment_name !== 'string' || body.environment_name === '') return [422, { message: 'Invalid request.\n\n"environment_name" wasn\'t supplied.', documentation_url: doc, status: '422' }];
    if (body.state !== 'approved' && body.state !== 'rejected') return [422, { message: `Invalid request.\n\n${JSON.stringify(body.state ?? null)} is not a member of ["approved", "rejected"].`, documentation_url: doc, status: '422' }];
    if (body.comment !== undefined && typeof body.comment !== 'string') return [422, { message: 'Invalid request.\n\nFor \'properties/comment\', it is not a string.', documentation_url: doc, status: '422' }];
    const job = this.waiting.find((w) => w.repository === repository && w.runId === runId && w.environment === body.environment_name);
    if (!job) return notFound(doc);
    if (job.review) return [422, { message: 'This deployment protection rule has already been reviewed.', documentation_url: doc, status: '422' }];
    job.review = { state: body.state, comment: typeof body.comment === 'string' ? body.comment : '' };
    return [204, null];
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
