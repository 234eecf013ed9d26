import { DeployError } from '../executors/executor.js';
import { describeNetworkError, MAX_ERROR_BODY_BYTES, readAtMost } from '../executors/webhook-executor.js';

export interface GitHubCall {
  method: 'GET' | 'POST';
  url: string;
  /** `Bearer …`: a token, an installation token or an App's JWT. */
  authorization: string;
  body?: unknown;
  /** What the call does, for the sentence a person reads: "dispatch deploy.yml". */
  what: string;
  timeoutMs: number;
  /** Removes the caller's secrets from any text shown. */
  redact: (text: string) => string;
  /** What to say after GitHub's own words for a status, so the person knows what to fix. */
  hint: (status: number) => string;
}

/**
 * One GitHub REST call with GitHub's headers. A refusal becomes a DeployError in
 * GitHub's own words, permanent unless trying again can help (rate limits, 5xx).
 */
export async function callGitHub(call: GitHubCall): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(call.url, {
      method: call.method,
      headers: {
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'shipgate',
        authorization: call.authorization,
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal: AbortSignal.timeout(call.timeoutMs),
    });
  } catch (error) {
    const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${call.timeoutMs} ms` : describeNetworkError(error);
    throw new DeployError(call.redact(`GitHub could not be reached to ${call.what}: ${cause}`));
  }
  const text = await readAtMost(response, MAX_ERROR_BODY_BYTES).catch(() => '');
  if (response.ok) return text ? parseJson(text) : null;
  const message = (parseJson(text) as { message?: unknown } | null)?.message;
  const said = typeof message === 'string' ? message : text.slice(0, 200) || response.statusText;
  const rateLimited = response.status === 429 || (response.status === 403 && response.headers.get('x-ratelimit-remaining') === '0');
  const permanent = !rateLimited && [400, 401, 403, 404, 422].includes(response.status);
  const after = rateLimited ? ': rate limited, Shipgate tries again later.' : call.hint(response.status);
  throw new DeployError(call.redact(`GitHub refused to ${call.what} (${response.status} ${said})${after}`), permanent);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
