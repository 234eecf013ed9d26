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
      const body = JSON.parse(raw) as DeployRequest;
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
