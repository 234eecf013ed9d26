import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { DeployRequest } from '../../src/executors/executor.js';
import { listen, readBody } from './http-server.js';

/** The secret of the standard configuration's webhook executor. */
export const DEPLOY_SECRET = 'deploy-secret-0123456789';

export interface DeployCall {
  headers: IncomingHttpHeaders;
  raw: string;
  body: DeployRequest;
  /** The status it was answered with (null: it hung). */
  status: number | null;
}

type Behaviour = { status: number; body?: string } | 'hang';

/** A deployment the target runs on after answering 202 (the webhook contract's asynchronous mode). */
export interface AsyncDeployment {
  state: 'running' | 'succeeded' | 'failed';
  reason?: string;
  link: string;
  /** Signed GETs of its status URL so far. */
  polls: number;
}

/**
 * A deploy webhook on loopback that records every call; answers 200 unless told otherwise.
 * Strict as a receiver following the README's webhook contract: a missing, wrong or stale
 * signature (HMAC-SHA256 of `<timestamp>.<body>`, timestamp within five minutes) is refused
 * with 401 and recorded in `refused`, never in `calls`.
 */
export class FakeDeployTarget {
  readonly calls: DeployCall[] = [];
  readonly refused: { headers: IncomingHttpHeaders; reason: string }[] = [];
  private readonly script: Behaviour[] = [];
  private readonly hanging: (() => void)[] = [];
  url = '';
  private closeServer: () => Promise<void> = async () => undefined;
  /** When set, deployments run on: a POST is answered 202 with a status URL, polled with signed GETs. */
  asynchronous = false;
  /** Asynchronous deployments by promotion id; a repeated POST (same Idempotency-Key) gets the same one. */
  readonly deployments = new Map<string, AsyncDeployment>();
  /** Looks at each genuine call as it arrives, before it is answered (a test's check of the world at deploy start). */
  inspect: ((call: DeployRequest) => Promise<void>) | null = null;

  constructor(private readonly secret = DEPLOY_SECRET) {}

  /** The next calls get these answers, in order; after them, 200. */
  answerNext(...behaviours: Behaviour[]): this {
    this.script.push(...behaviours);
    return this;
  }

  async start(): Promise<this> {
    const { url, close } = await listen(async (req, res) => {
      const raw = await readBody(req);
      const problem = this.verify(req.headers, raw);
      if (problem) {
        this.refused.push({ headers: req.headers, reason: problem });
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: problem }));
        return;
      }
      if (req.method === 'GET') {
        const id = decodeURIComponent(/^\/status\/([^/?]+)$/.exec(req.url ?? '')?.[1] ?? '');
        const deployment = this.deployments.get(id);
        if (!deployment) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: `no deployment ${id}` }));
          return;
        }
        deployment.polls++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ state: deployment.state, link: deployment.link, ...(deployment.reason ? { reason: deployment.reason } : {}) }));
        return;
      }
      const body = JSON.parse(raw) as DeployRequest;
      if (this.asynchronous && this.script.length === 0) {
        this.calls.push({ headers: req.headers, raw, body, status: 202 });
        const key = String(req.headers['idempotency-key'] ?? body.promotion_id);
        if (!this.deployments.has(key)) this.deployments.set(key, { state: 'running', link: `https://deploys.example.com/runs/${key}`, polls: 0 });
        const statusUrl = `${this.url.replace(/\/deploy$/, '')}/status/${encodeURIComponent(key)}`;
        res.writeHead(202, { 'content-type': 'application/json', location: statusUrl });
        res.end(JSON.stringify({ status_url: statusUrl, link: this.deployments.get(key)!.link }));
        return;
      }
      const behaviour = this.script.shift() ?? { status: 200 };
      this.calls.push({ headers: req.headers, raw, body, status: behaviour === 'hang' ? null : behaviour.status });
      await this.inspect?.(body);
      if (behaviour === 'hang') {
        await new Promise<void>((resolve) => this.hanging.push(resolve));
        res.destroy();
        return;
      }
      res.writeHead(behaviour.status, { 'content-type': behaviour.body === undefined ? 'application/json' : 'text/plain' });
      res.end(behaviour.body ?? JSON.stringify({ ok: behaviour.status < 300 }));
    });
    this.url = `${url}/deploy`;
    this.closeServer = close;
    return this;
  }

  /** The verification snippet of the README, as a receiver would write it; null when the call is genuine. */
  private verify(headers: IncomingHttpHeaders, raw: string): string | null {
    const timestamp = String(headers['x-shipgate-timestamp'] ?? '');
    const signature = String(headers['x-shipgate-signature'] ?? '');
    if (!/^\d+$/.test(timestamp)) return 'missing X-Shipgate-Timestamp';
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return 'stale X-Shipgate-Timestamp';
    const expected = `sha256=${createHmac('sha256', this.secret).update(`${timestamp}.${raw}`).digest('hex')}`;
    const same = signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
    return same ? null : 'wrong X-Shipgate-Signature';
  }

  async close(): Promise<void> {
    for (const release of this.hanging.splice(0)) release();
    await this.closeServer();
  }
}
