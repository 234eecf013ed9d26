import { listen } from './http-server.js';

/** `delayMs`: answer only after this long (a slow CI server), so a test can act while the gate still runs. */
type Answer = { status?: number; body: string; type?: string; delayMs?: number } | 'hang';

/** CI, coverage, Prometheus and sample endpoints on loopback; records requests and the most in flight per path. */
export class FakeGateTarget {
  readonly requests: string[] = [];
  readonly maxInFlight = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  private readonly answers = new Map<string, Answer[]>();
  private readonly hanging: (() => void)[] = [];
  url = '';
  private closeServer: () => Promise<void> = async () => undefined;

  /** Answers PATH with these, in order; the last one repeats. */
  answer(path: string, ...answers: Answer[]): this {
    this.answers.set(path, answers);
    return this;
  }

  async start(): Promise<this> {
    const { url, close } = await listen(async (req, res) => {
      const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
      this.requests.push(path);
      const now = (this.inFlight.get(path) ?? 0) + 1;
      this.inFlight.set(path, now);
      this.maxInFlight.set(path, Math.max(now, this.maxInFlight.get(path) ?? 0));
      try {
        const queue = this.answers.get(path);
        const answer = queue && queue.length > 1 ? queue.shift()! : queue?.[0];
        if (answer === 'hang') {
          await new Promise<void>((resolve) => this.hanging.push(resolve));
          res.destroy();
          return;
        }
        // A little latency, so overlapping runs of the same gate would show.
        await new Promise((resolve) => setTimeout(resolve, answer?.delayMs ?? 20));
        res.writeHead(answer?.status ?? (answer ? 200 : 404), { 'content-type': answer?.type ?? 'application/json' });
        res.end(answer?.body ?? 'not found');
      } finally {
        this.inFlight.set(path, (this.inFlight.get(path) ?? 1) - 1);
      }
    });
    this.url = url;
    this.closeServer = close;
    return this;
  }

  countOf(path: string): number {
    return this.requests.filter((r) => r === path).length;
  }

  async close(): Promise<void> {
    for (const release of this.hanging.splice(0)) release();
    await this.closeServer();
  }
}

export const REPORTS = {
  testsPassed: { body: JSON.stringify({ run: { status: 'passed', url: 'https://ci.example.com/runs/42' } }) },
  testsFailed: { body: JSON.stringify({ run: { status: 'failed' } }) },
  coverage: (pct: number) => ({ body: JSON.stringify({ total: { lines: { total: 1000, covered: pct * 10, skipped: 0, pct } } }) }),
  junit: (failures: number) => ({
    type: 'application/xml',
    body: `<testsuite name="s" tests="3">${['a', 'b', 'c'].map((n, i) => `<testcase name="${n}">${i < failures ? '<failure message="x"/>' : ''}</testcase>`).join('')}</testsuite>`,
  }),
};
