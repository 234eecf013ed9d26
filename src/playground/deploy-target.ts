import { timingSafeEqual } from 'node:crypto';
import { signTimestamped } from '../executors/webhook-executor.js';
import { listenOnLoopback, readBody, sendJson, type Listening } from './loopback-server.js';

export type DeployMode = 'succeed' | 'fail' | 'hang';

export interface DeployRecord {
  app: string;
  environment: string;
  version: string;
  promotion: string;
  answer: number | 'no answer';
}

/**
 * The playground's deploy webhook: accepts a signed deployment (X-Shipgate-Timestamp and X-Shipgate-Signature, as the README's webhook contract says) and
 * answers as the page tells it: succeed (200), fail (500), or hang (never answers, so the
 * executor's timeout and retries show). A wrongly signed call is refused with 401.
 */
export class PlaygroundDeployTarget {
  mode: DeployMode = 'succeed';
  readonly deployments: DeployRecord[] = [];
  private readonly hanging = new Set<() => void>();
  private listening: Listening | null = null;
  onChange: () => void = () => undefined;

  constructor(private readonly secret: string) {}

  async start(): Promise<this> {
    this.listening = await listenOnLoopback(async (req, res) => {
      const raw = await readBody(req);
      if (req.method !== 'POST' || req.url !== '/deploy') return sendJson(res, 404, { ok: false, error: 'POST /deploy' });
      if (!signedWith(this.secret, raw, req.headers['x-shipgate-timestamp'], req.headers['x-shipgate-signature'])) return sendJson(res, 401, { ok: false, error: 'bad or stale signature' });
      const body = JSON.parse(raw) as { app: string; environment: string; version: string; promotion_id: string };
      const record: DeployRecord = { app: body.app, environment: body.environment, version: body.version, promotion: body.promotion_id, answer: 'no answer' };
      this.deployments.push(record);
      if (this.mode === 'hang') {
        this.onChange();
        await new Promise<void>((resolve) => this.hanging.add(resolve));
        res.destroy();
        return;
      }
      record.answer = this.mode === 'succeed' ? 200 : 500;
      this.onChange();
      sendJson(res, record.answer, this.mode === 'succeed' ? { ok: true } : { ok: false, error: 'the playground deploy target was told to fail' });
    });
    return this;
  }

  get url(): string {
    if (!this.listening) throw new Error('The deploy target has not started.');
    return `${this.listening.url}/deploy`;
  }

  /** Lets go of hanging calls (when the mode changes, or at close). */
  release(): void {
    for (const resolve of this.hanging) resolve();
    this.hanging.clear();
  }

  async close(): Promise<void> {
    this.release();
    await this.listening?.close();
  }
}

/** The webhook contract of the README: HMAC of `<timestamp>.<body>`, the timestamp within five minutes. */
function signedWith(secret: string, body: string, timestamp: string | string[] | undefined, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || typeof timestamp !== 'string' || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(signTimestamped(secret, Number(timestamp), body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
