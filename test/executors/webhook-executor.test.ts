import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployError, type DeployRequest } from '../../src/executors/executor.js';
import { WebhookExecutor } from '../../src/executors/webhook-executor.js';
import { DEPLOY_SECRET, FakeDeployTarget } from '../support/fake-deploy-target.js';
import { listen, readBody } from '../support/http-server.js';

const SECRET = 'executor-secret-0123456789';
const request: DeployRequest = { promotion_id: 'sg-1', kind: 'promote', app: 'web', version: '1.0.0', environment: 'staging', previous_version: null, requested_by: 'UALICE', approved_by: [], reason: '' };
let server: Awaited<ReturnType<typeof listen>>;
const seen: { headers: Record<string, unknown>; raw: string }[] = [];

beforeAll(async () => {
  server = await listen(async (req, res) => {
    seen.push({ headers: req.headers, raw: await readBody(req) });
    if (req.url === '/endless') {
      // An error answer that never ends: only a bounded read gets to its first words.
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.write(`upstream said no, secret ${SECRET} `);
      const timer = setInterval(() => res.write('x'.repeat(16 * 1024)), 5);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.writeHead(200);
    res.end('{}');
  });
});
afterAll(async () => server.close());

describe('the webhook executor', () => {
  it('signs the timestamp with the body, and keeps the body-only signature under its own name', async () => {
    await new WebhookExecutor({ url: `${server.url}/ok`, secret: SECRET, timeoutMs: 2_000, nowSeconds: () => 1_800_000_000 }).start(request);
    const { headers, raw } = seen.at(-1)!;
    expect(headers['x-shipgate-timestamp']).toBe('1800000000');
    expect(headers['x-shipgate-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(`1800000000.${raw}`).digest('hex')}`);
    expect(headers['x-shipgate-body-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`);
  });

  it('reads only the start of an error answer that never ends, redacted and short', async () => {
    const executor = new WebhookExecutor({ url: `${server.url}/endless`, secret: SECRET, timeoutMs: 10_000 });
    const error = await executor.start(request).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(DeployError);
    const message = (error as Error).message;
    expect(message).toMatch(/^the deploy webhook answered 502: upstream said no, secret \[redacted\] x+…$/);
    expect(message).not.toContain(SECRET);
    expect(message.length).toBeLessThanOrEqual(400);
  });

  it('is refused by a strict receiver when the secret is wrong or the timestamp stale, and accepted otherwise', async () => {
    const target = await new FakeDeployTarget().start();
    try {
      const now = Math.floor(Date.now() / 1000);
      const attempt = (secret: string, at: number) => new WebhookExecutor({ url: target.url, secret, timeoutMs: 2_000, nowSeconds: () => at }).start(request).then(() => 'accepted', (e: Error) => e.message);
      expect(await attempt('not-the-deploy-secret-0123', now)).toMatch(/answered 401: .*wrong X-Shipgate-Signature/);
      expect(await attempt(DEPLOY_SECRET, now - 310)).toMatch(/answered 401: .*stale X-Shipgate-Timestamp/);
      expect(await attempt(DEPLOY_SECRET, now + 310)).toMatch(/answered 401: .*stale X-Shipgate-Timestamp/);
      expect(target.calls).toHaveLength(0);
      expect(await attempt(DEPLOY_SECRET, now)).toBe('accepted');
      expect(target.calls).toHaveLength(1);
    } finally {
      await target.close();
    }
  });
});
