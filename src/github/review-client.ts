import { MAX_SHOWN_DETAIL, redactSecrets } from '../domain/redact.js';
import { DeployError } from '../executors/executor.js';
import { InstallationTokens } from '../executors/github-app-token.js';
import { describeNetworkError, MAX_ERROR_BODY_BYTES, readAtMost } from '../executors/webhook-executor.js';
import type { GitHubConfig } from './github-config.js';
import type { ReviewTarget } from './protection-request.js';

export type ReviewState = 'approved' | 'rejected';

/** GitHub keeps review comments short; the rest would be cut anyway. */
const MAX_COMMENT = 1000;

/**
 * Answers a waiting job through "Review custom deployment protection rules for a workflow
 * run" (POST the `deployment_callback_url`, with `environment_name`, `state` and `comment`),
 * as the GitHub App's installation. Tokens come from github-app-token.ts, one cache per
 * installation. The callback must lie under `api_url`, so a token is never sent elsewhere.
 */
export class GitHubReviewClient {
  private readonly api: string;
  private readonly tokens = new Map<string, InstallationTokens>();

  constructor(
    private readonly config: GitHubConfig,
    private readonly now: () => number,
  ) {
    this.api = config.api_url.replace(/\/+$/, '');
  }

  /** Refusals that cannot change by trying again are permanent DeployErrors; the rest are retried. */
  async review(target: ReviewTarget, state: ReviewState, comment: string): Promise<void> {
    if (!target.callbackUrl.startsWith(`${this.api}/repos/`)) {
      throw new DeployError(`GitHub's callback ${target.callbackUrl} is not under github.api_url (${this.api}); Shipgate sends its token only there. Check github.api_url in shipgate.yml.`, true);
    }
    const token = await this.tokenFor(target.installationId);
    const body = { environment_name: target.environmentName, state, comment: comment.slice(0, MAX_COMMENT) };
    await this.call(target.callbackUrl, `Bearer ${token}`, body, `answer ${state} for environment ${target.environmentName} of ${target.repository}`);
  }

  private tokenFor(installationId: string): Promise<string> {
    let tokens = this.tokens.get(installationId);
    if (!tokens) {
      const app = { id: this.config.app.id, privateKey: this.config.app.private_key, installationId };
      tokens = new InstallationTokens(app, (jwt) => this.installationToken(jwt, installationId), this.now);
      this.tokens.set(installationId, tokens);
    }
    return tokens.token();
  }

  private async installationToken(jwt: string, installationId: string): Promise<{ token: string; expiresAt: number }> {
    const answer = (await this.call(`${this.api}/app/installations/${installationId}/access_tokens`, `Bearer ${jwt}`, undefined, `get an installation token for installation ${installationId}`)) as { token?: string; expires_at?: string } | null;
    if (!answer?.token) throw new DeployError('GitHub answered the installation token request without a token.');
    return { token: answer.token, expiresAt: answer.expires_at ? Date.parse(answer.expires_at) : this.now() + 3600_000 };
  }

  private async call(url: string, authorization: string, body: unknown, what: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          accept: 'application/vnd.github+json',
          'x-github-api-version': '2022-11-28',
          'user-agent': 'shipgate',
          authorization,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.config.request_timeout),
      });
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${this.config.request_timeout} ms` : describeNetworkError(error);
      throw new DeployError(this.redact(`GitHub could not be reached to ${what}: ${cause}`));
    }
    const text = await readAtMost(response, MAX_ERROR_BODY_BYTES).catch(() => '');
    if (response.ok) return text ? parseJson(text) : null;
    const message = (parseJson(text) as { message?: unknown } | null)?.message;
    const said = typeof message === 'string' ? message : text.slice(0, 200) || response.statusText;
    const rateLimited = response.status === 429 || (response.status === 403 && response.headers.get('x-ratelimit-remaining') === '0');
    const permanent = !rateLimited && [400, 401, 403, 404, 422].includes(response.status);
    throw new DeployError(this.redact(`GitHub refused to ${what} (${response.status} ${said})${hint(response.status, rateLimited)}`), permanent);
  }

  private redact(text: string): string {
    return redactSecrets(text, [this.config.app.private_key, this.config.app.webhook_secret], MAX_SHOWN_DETAIL);
  }
}

function hint(status: number, rateLimited: boolean): string {
  if (rateLimited) return ': rate limited, Shipgate tries again later.';
  if (status === 401) return ': check the GitHub App id and private key under github.app.';
  if (status === 403) return ': the GitHub App needs the Deployments (read and write) and Actions (read) permissions on the repository.';
  if (status === 404) return ': check that the GitHub App is installed on the repository.';
  if (status === 422) return ': GitHub no longer waits for this answer (the run was cancelled, or already reviewed).';
  return '.';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
