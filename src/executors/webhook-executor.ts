import { createHmac } from 'node:crypto';
import { MAX_SHOWN_DETAIL, redactSecrets } from '../domain/redact.js';
import { DeployError, type DeployRequest, type Executor } from './executor.js';

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

/**
 * POSTs the deploy request as JSON, signed with HMAC-SHA256 over the timestamp and
 * the body (so a receiver can refuse a replayed call), with the promotion id as
 * Idempotency-Key so a retried call is recognised by the target. Any 2xx is success;
 * everything else throws and the deploy job retries. An error answer is read up to
 * 64 KB and shown redacted and cut to a sentence's length.
 */
export class WebhookExecutor implements Executor {
  constructor(private readonly options: WebhookExecutorOptions) {}

  async deploy(request: DeployRequest): Promise<void> {
    const body = JSON.stringify(request);
    const timestamp = Math.floor(this.options.nowSeconds?.() ?? Date.now() / 1000);
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'shipgate',
          'x-shipgate-timestamp': String(timestamp),
          'x-shipgate-signature': signTimestamped(this.options.secret, timestamp, body),
          'x-shipgate-body-signature': signBody(this.options.secret, body),
          'idempotency-key': request.promotion_id,
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : this.redact(describeNetworkError(error));
      throw new DeployError(`the deploy webhook could not be reached: ${cause}`);
    }
    if (response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return;
    }
    const detail = this.redact(await readAtMost(response, MAX_ERROR_BODY_BYTES).catch(() => ''));
    throw new DeployError(`the deploy webhook answered ${response.status}${detail ? `: ${detail}` : ''}`);
  }

  /** The secret, and the URL (which may hold a key from the environment), never appear in what is shown. */
  private redact(text: string): string {
    return redactSecrets(text, [this.options.secret, this.options.url], MAX_SHOWN_DETAIL);
  }
}

/** The start of a body, at most MAX_BYTES of it, without reading the rest. */
async function readAtMost(response: Response, maxBytes: number): Promise<string> {
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

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
