import { z } from 'zod';
import { duration } from '../config/duration.js';
import { MAX_SHOWN_DETAIL, redactSecrets } from '../domain/redact.js';
import { DeployError, type AsyncExecutor, type DeploymentHandle, type DeploymentStatus, type DeployRequest } from './executor.js';
import { commonExecutorKeys, type ExecutorType } from './executor-type.js';
import { InstallationTokens } from './github-app-token.js';
import { callGitHub } from '../github/github-rest.js';

const numericId = z.union([z.number().int().positive(), z.string().regex(/^\d+$/, 'expected a number')]).transform(String);

export const githubActionsExecutorSchema = z
  .object({
    type: z.literal('github-actions'),
    /** https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
    api_url: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }).default('https://api.github.com'),
    token: z.string().min(1, 'expected a token (write "${GITHUB_TOKEN}" to read it from the environment)').optional(),
    app: z.object({ id: numericId, private_key: z.string().includes('PRIVATE KEY', { message: 'expected a PEM private key (write "${GITHUB_APP_PRIVATE_KEY}")' }), installation_id: numericId }).strict().optional(),
    repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected OWNER/REPO'),
    /** The workflow's file name (deploy.yml) or its numeric id. */
    workflow: z.union([z.string().min(1), z.number().int().positive()]).transform(String),
    ref: z.string().min(1, 'expected the branch or tag the workflow runs from'),
    /** Workflow inputs; `{app}`, `{version}`, `{environment}`, `{promotion}`, `{kind}`, `{previous_version}` are filled in. */
    inputs: z.record(z.string(), z.string()).default({}),
    timeout: duration.default(30 * 60_000),
    /** How long one call to GitHub may take. */
    request_timeout: duration.default(10_000),
    ...commonExecutorKeys,
  })
  .strict()
  .refine((c) => (c.token === undefined) !== (c.app === undefined), { message: 'give either a token or app: { id, private_key, installation_id }, not both', path: ['token'] });

export type GitHubActionsConfig = z.output<typeof githubActionsExecutorSchema>;

export const githubActions: ExecutorType<GitHubActionsConfig> = {
  type: 'github-actions',
  create: (config) => new GitHubActionsExecutor(config),
  timing: (config) => ({ pollEveryMs: config.poll_every, timeoutMs: config.timeout }),
};

/** The run being followed, or (GitHub answered the dispatch with 204) the promotion whose run is still to be found. */
type ActionsHandle = { run: number } | { find: string; since: string };

interface WorkflowRun {
  id: number;
  name?: string | null;
  display_title?: string;
  status: string | null;
  conclusion: string | null;
  html_url: string;
}

/** How far back a run started for a promotion is looked for, when `start` is called again. */
const LOOKBACK_MS = 24 * 3600_000;
const MAX_PAGES = 10;

/**
 * Deploys by running a GitHub Actions workflow (`workflow_dispatch`) and following the
 * run. The workflow's `run-name` must contain the promotion id (the `promotion` input):
 * that is how a `start` called again after a crash finds the run it started instead of
 * dispatching a second one. The dispatch asks for the run's id (`return_run_details`);
 * where GitHub answers 204 without it (an older GitHub Enterprise Server), the run is
 * found by its name.
 */
export class GitHubActionsExecutor implements AsyncExecutor {
  private readonly api: string;
  private readonly owner: string;
  private readonly repo: string;
  private readonly tokens: InstallationTokens | null;

  constructor(private readonly config: GitHubActionsConfig) {
    this.api = config.api_url.replace(/\/+$/, '');
    [this.owner, this.repo] = config.repository.split('/') as [string, string];
    const app = config.app;
    this.tokens = app ? new InstallationTokens({ id: app.id, privateKey: app.private_key, installationId: app.installation_id }, (jwt) => this.installationToken(jwt, app.installation_id), () => Date.now()) : null;
  }

  private get workflowPath(): string {
    return `/repos/${this.owner}/${this.repo}/actions/workflows/${encodeURIComponent(this.config.workflow)}`;
  }

  async start(request: DeployRequest): Promise<DeploymentHandle> {
    const since = new Date(Date.now() - LOOKBACK_MS).toISOString();
    const existing = await this.findRun(request.promotion_id, since);
    if (existing) return { handle: JSON.stringify({ run: existing.id } satisfies ActionsHandle), link: existing.html_url };
    const inputs = Object.fromEntries(Object.entries(this.config.inputs).map(([key, value]) => [key, fill(value, request)]));
    const response = await this.call('POST', `${this.workflowPath}/dispatches`, { ref: this.config.ref, inputs, return_run_details: true }, `dispatch workflow ${this.config.workflow} in ${this.config.repository}`);
    const details = response as { workflow_run_id?: unknown; html_url?: unknown } | null;
    if (details && typeof details.workflow_run_id === 'number') {
      return { handle: JSON.stringify({ run: details.workflow_run_id } satisfies ActionsHandle), link: typeof details.html_url === 'string' ? details.html_url : null };
    }
    return { handle: JSON.stringify({ find: request.promotion_id, since } satisfies ActionsHandle), link: null };
  }

  async status(handle: string): Promise<DeploymentStatus> {
    const run = await this.runOf(handle);
    if (!run) return { state: 'running', link: null, detail: 'waiting for the workflow run to appear' };
    if (run.status !== 'completed') return { state: 'running', link: run.html_url, detail: run.status ?? 'queued' };
    if (run.conclusion === 'success') return { state: 'succeeded', link: run.html_url };
    const title = run.display_title ?? run.name ?? `run ${run.id}`;
    return { state: 'failed', reason: this.redact(`the workflow run "${title}" ended with conclusion ${run.conclusion ?? 'none'}`), link: run.html_url };
  }

  async cancel(handle: string): Promise<void> {
    const run = await this.runOf(handle);
    if (!run || run.status === 'completed') return;
    await this.call('POST', `/repos/${this.owner}/${this.repo}/actions/runs/${run.id}/cancel`, undefined, `cancel workflow run ${run.id}`);
  }

  private async runOf(handle: string): Promise<WorkflowRun | null> {
    const parsed = JSON.parse(handle) as ActionsHandle;
    if ('run' in parsed) return (await this.call('GET', `/repos/${this.owner}/${this.repo}/actions/runs/${parsed.run}`, undefined, `read workflow run ${parsed.run}`)) as WorkflowRun;
    return this.findRun(parsed.find, parsed.since);
  }

  /** The newest dispatched run of the workflow whose title names the promotion (as the documented `run-name` does). */
  private async findRun(promotionId: string, since: string): Promise<WorkflowRun | null> {
    const names = new RegExp(`(^|[^A-Za-z0-9_-])${promotionId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_-])`);
    for (let page = 1; page <= MAX_PAGES; page++) {
      const query = new URLSearchParams({ event: 'workflow_dispatch', created: `>=${since}`, per_page: '100', page: String(page) });
      const answer = (await this.call('GET', `${this.workflowPath}/runs?${query}`, undefined, `list runs of workflow ${this.config.workflow} in ${this.config.repository}`)) as { workflow_runs?: WorkflowRun[] } | null;
      const runs = answer?.workflow_runs ?? [];
      const match = runs.find((r) => names.test(r.display_title ?? '') || names.test(r.name ?? ''));
      if (match) return match;
      if (runs.length < 100) return null;
    }
    return null;
  }

  private async authorization(): Promise<string> {
    return `Bearer ${this.tokens ? await this.tokens.token() : this.config.token}`;
  }

  private async installationToken(jwt: string, installationId: string): Promise<{ token: string; expiresAt: number }> {
    const answer = (await this.call('POST', `/app/installations/${installationId}/access_tokens`, undefined, `get an installation token for installation ${installationId}`, `Bearer ${jwt}`)) as { token?: string; expires_at?: string } | null;
    if (!answer?.token) throw new DeployError('GitHub answered the installation token request without a token.');
    return { token: answer.token, expiresAt: answer.expires_at ? Date.parse(answer.expires_at) : Date.now() + 3600_000 };
  }

  /** One REST call; a refusal becomes a DeployError with GitHub's own message, permanent unless trying again can help. */
  private async call(method: 'GET' | 'POST', path: string, body: unknown, what: string, authorization?: string): Promise<unknown> {
    return callGitHub({
      method,
      url: `${this.api}${path}`,
      authorization: authorization ?? (await this.authorization()),
      body,
      what,
      timeoutMs: this.config.request_timeout,
      redact: (text) => this.redact(text),
      hint,
    });
  }

  private redact(text: string): string {
    return redactSecrets(text, [this.config.token ?? '', this.config.app?.private_key ?? ''], MAX_SHOWN_DETAIL);
  }
}

function hint(status: number): string {
  if (status === 401) return ': check the token (or the GitHub App id, key and installation).';
  if (status === 403) return ': the token needs "actions: write" on the repository (a GitHub App, the Actions read and write permission).';
  if (status === 404) return ': check the repository and workflow names, and that the token can see the repository.';
  if (status === 422) return ': check `ref` and that every input is declared under on.workflow_dispatch.inputs.';
  return '.';
}

function fill(template: string, request: DeployRequest): string {
  const values: Record<string, string> = {
    app: request.app,
    version: request.version,
    environment: request.environment,
    promotion: request.promotion_id,
    kind: request.kind,
    previous_version: request.previous_version ?? '',
  };
  return template.replace(/\{(app|version|environment|promotion|kind|previous_version)\}/g, (_, key: string) => values[key]!);
}

