import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { duration } from '../config/duration.js';
import { MAX_SHOWN_DETAIL, redactSecrets } from '../domain/redact.js';
import { DeployError, type AsyncExecutor, type DeploymentHandle, type DeploymentStatus, type DeployRequest } from './executor.js';
import { commonExecutorKeys, type ExecutorType } from './executor-type.js';
import type { CopyRequest } from './copy-executor.js';

export const webhookExecutorSchema = z
  .object({
    type: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }),
    // Filled in by the loader: the URL as written, secrets unexpanded, for anything shown.
    url_as_written: z.string().optional(),
    secret: z.string().min(16, 'expected a secret of at least 16 characters (write "${NAME}" to read it from the environment)'),
    /** How long one HTTP call may take. */
    timeout: duration.default(10_000),
    /** How long an asynchronous deployment (answered 202 with a status URL) may run before it fails. */
    deploy_timeout: duration.default(30 * 60_000),
    ...commonExecutorKeys,
  })
  .strict();

export type WebhookExecutorConfig = z.output<typeof webhookExecutorSchema>;

export const webhook: ExecutorType<WebhookExecutorConfig> = {
  type: 'webhook',
  // Signatures carry the wall clock: the receiver compares them with its own.
  create: (config) => new WebhookExecutor({ url: config.url, secret: config.secret, timeoutMs: config.timeout }),
  timing: (config) => ({ pollEveryMs: config.poll_every, timeoutMs: config.deploy_timeout }),
};

export interface WebhookExecutorOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  /** Seconds since the epoch for the signature; the wall clock unless a test says otherwise. */
  nowSeconds?: () => number;
}

/** At most this much of an error answer is read; the rest is left unread. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** The webhook contract's signature: `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>`. */
export function signTimestamped(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The body-only signature of earlier versions, still sent as X-Shipgate-Body-Signature; it does not resist replay. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** What the handle of a webhook deployment holds: nothing to follow (done at once), or the URL to poll. */
type WebhookHandle = { done: true; sample_url?: string } | { status_url: string };

const statusAnswer = z.object({
  state: z.enum(['succeeded', 'failed', 'running']),
  reason: z.string().max(2_000).optional(),
  link: z.string().max(2_000).optional(),
  /** A copy's sample of what it wrote (data refreshes only). */
  sample_url: z.string().max(2_000).optional(),
});

/**
 * POSTs the deploy request as JSON, signed with HMAC-SHA256 over the timestamp and
 * the body (so a receiver can refuse a replayed call), with the promotion id as
 * Idempotency-Key so a retried call is recognised by the target. A 2xx is success,
 * unless it is a 202 naming a status URL (body `status_url`, or `Location`): then the
 * deployment runs on, and `status` GETs that URL (signed over an empty body) until it
 * says `succeeded` or `failed`. Anything else throws and the deploy job retries. An
 * error answer is read up to 64 KB and shown redacted and cut to a sentence's length.
 */
export class WebhookExecutor implements AsyncExecutor {
  constructor(private readonly options: WebhookExecutorOptions) {}

  async start(request: DeployRequest): Promise<DeploymentHandle> {
    return this.begin(JSON.stringify(request), request.promotion_id, false);
  }

  /** A data refresh's copy, under the same contract; its answer (at once, or from the status URL) may name a `sample_url`. */
  async startCopy(request: CopyRequest): Promise<DeploymentHandle> {
    return this.begin(JSON.stringify(request), request.refresh_id, true);
  }

  private async begin(body: string, idempotencyKey: string, readAnswer: boolean): Promise<DeploymentHandle> {
    const response = await this.call(this.options.url, 'POST', body, { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, 'x-shipgate-body-signature': signBody(this.options.secret, body) });
    if (!response.ok) throw await this.refusal(response, 'the deploy webhook');
    const text = response.status === 202 || readAnswer ? await readAtMost(response, MAX_ERROR_BODY_BYTES).catch(() => '') : '';
    if (response.status !== 202 && !readAnswer) await response.body?.cancel().catch(() => undefined);
    const answer = parseJson(text) as { status_url?: unknown; link?: unknown; sample_url?: unknown } | null;
    const named = typeof answer?.status_url === 'string' ? answer.status_url : response.headers.get('location');
    const link = typeof answer?.link === 'string' && /^https?:\/\//.test(answer.link) ? answer.link : null;
    const sample = typeof answer?.sample_url === 'string' && /^https?:\/\//.test(answer.sample_url) ? { sample_url: answer.sample_url } : {};
    if (response.status !== 202 || !named) return { handle: JSON.stringify({ done: true, ...sample } satisfies WebhookHandle), link };
    let statusUrl: URL;
    try {
      statusUrl = new URL(named, this.options.url);
    } catch {
      throw new DeployError(`the deploy webhook answered 202 with a status URL that is not a URL: ${this.redact(named)}`);
    }
    if (!/^https?:$/.test(statusUrl.protocol)) throw new DeployError('the deploy webhook answered 202 with a status URL that is not http or https');
    return { handle: JSON.stringify({ status_url: statusUrl.href } satisfies WebhookHandle), link };
  }

  async status(handle: string): Promise<DeploymentStatus> {
    const parsed = parseJson(handle) as Partial<{ done: true; status_url: string; sample_url: string }> | null;
    if (!parsed?.status_url) return { state: 'succeeded', link: null, ...(parsed?.sample_url ? { sampleUrl: parsed.sample_url } : {}) };
    const response = await this.call(parsed.status_url, 'GET', '', {});
    if (!response.ok) throw await this.refusal(response, 'the deployment status URL');
    const text = await readAtMost(response, MAX_ERROR_BODY_BYTES).catch(() => '');
    const answer = statusAnswer.safeParse(parseJson(text));
    if (!answer.success) throw new DeployError(`the deployment status URL answered something other than {"state": "succeeded" | "failed" | "running"}: ${this.redact(text)}`);
    const link = answer.data.link && /^https?:\/\//.test(answer.data.link) ? answer.data.link : null;
    if (answer.data.state === 'failed') return { state: 'failed', reason: this.redact(answer.data.reason ?? 'the deploy target reported a failure without a reason'), link };
    if (answer.data.state === 'running') return { state: 'running', link, ...(answer.data.reason ? { detail: this.redact(answer.data.reason) } : {}) };
    const sampleUrl = answer.data.sample_url && /^https?:\/\//.test(answer.data.sample_url) ? answer.data.sample_url : null;
    return { state: 'succeeded', link, ...(sampleUrl ? { sampleUrl } : {}) };
  }

  /** One signed call: the timestamp and signature cover `<timestamp>.<body>` (an empty body for a GET). */
  private async call(url: string, method: 'POST' | 'GET', body: string, headers: Record<string, string>): Promise<Response> {
    const timestamp = Math.floor(this.options.nowSeconds?.() ?? Date.now() / 1000);
    try {
      return await fetch(url, {
        method,
        headers: {
          ...headers,
          'user-agent': 'shipgate',
          'x-shipgate-timestamp': String(timestamp),
          'x-shipgate-signature': signTimestamped(this.options.secret, timestamp, body),
        },
        ...(method === 'POST' ? { body } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : this.redact(describeNetworkError(error));
      throw new DeployError(`${method === 'POST' ? 'the deploy webhook' : 'the deployment status URL'} could not be reached: ${cause}`);
    }
  }

  private async refusal(response: Response, what: string): Promise<DeployError> {
    const detail = this.redact(await readAtMost(response, MAX_ERROR_BODY_BYTES).catch(() => ''));
    return new DeployError(`${what} answered ${response.status}${detail ? `: ${detail}` : ''}`);
  }

  /** The secret, and the URL (which may hold a key from the environment), never appear in what is shown. */
  private redact(text: string): string {
    return redactSecrets(text, [this.options.secret, this.options.url], MAX_SHOWN_DETAIL);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** The start of a body, at most MAX_BYTES of it, without reading the rest. */
export async function readAtMost(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let read = 0;
  try {
    while (read < maxBytes) {
      const chunk = await reader.read();
      if (chunk.done) break;
      const part = chunk.value.subarray(0, maxBytes - read);
      read += part.byteLength;
      text += decoder.decode(part, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text + decoder.decode();
}

export function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
