import { MAX_SHOWN_DETAIL, redactSecrets } from '../domain/redact.js';
import { DeployError } from '../executors/executor.js';
import { InstallationTokens } from '../executors/github-app-token.js';
import { callGitHub } from './github-rest.js';
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

  private call(url: string, authorization: string, body: unknown, what: string): Promise<unknown> {
    return callGitHub({ method: 'POST', url, authorization, body, what, timeoutMs: this.config.request_timeout, redact: (text) => this.redact(text), hint });
  }

  private redact(text: string): string {
    return redactSecrets(text, [this.config.app.private_key, this.config.app.webhook_secret], MAX_SHOWN_DETAIL);
  }
}

function hint(status: number): string {
  if (status === 401) return ': check the GitHub App id and private key under github.app.';
  if (status === 403) return ': the GitHub App needs the Deployments (read and write) and Actions (read) permissions on the repository.';
  if (status === 404) return ': check that the GitHub App is installed on the repository.';
  if (status === 422) return ': GitHub no longer waits for this answer (the run was cancelled, or already reviewed).';
  return '.';
}

