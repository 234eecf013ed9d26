import { createHmac } from 'node:crypto';
import { DeployError, type DeployRequest, type Executor } from './executor.js';

export interface WebhookExecutorOptions {
  url: string;
  secret: string;
  timeoutMs: number;
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * POSTs the deploy request as JSON, signed with HMAC-SHA256 of the body, with the
 * promotion id as Idempotency-Key so a retried call is recognised by the target.
 * Any 2xx is success; everything else throws and the deploy job retries.
 */
export class WebhookExecutor implements Executor {
  constructor(private readonly options: WebhookExecutorOptions) {}

  async deploy(request: DeployRequest): Promise<void> {
    const body = JSON.stringify(request);
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'shipgate',
          'x-shipgate-signature': signBody(this.options.secret, body),
          'idempotency-key': request.promotion_id,
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : describeNetworkError(error);
      throw new DeployError(`the deploy webhook could not be reached: ${cause}`);
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      const detail = text.trim().slice(0, 200);
      throw new DeployError(`the deploy webhook answered ${response.status}${detail ? `: ${detail}` : ''}`);
    }
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
