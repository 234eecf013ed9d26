import { listenOnLoopback, sendJson, type Listening } from './loopback-server.js';

export type Evidence = 'passing' | 'failing';

/** What the staging gates read: an Istanbul json-summary and a JUnit report. */
export const EVIDENCE = {
  coverage: { passing: 86.4, failing: 71.3 },
  junit: { passing: 0, failing: 2 },
} as const;

function coverageSummary(pct: number): string {
  const covered = Math.round(pct * 10);
  const metric = { total: 1000, covered, skipped: 0, pct };
  return JSON.stringify({ total: { lines: metric, statements: metric, functions: metric, branches: metric } });
}

function junitReport(failures: number): string {
  const cases = ['checkout', 'login', 'search', 'cart', 'profile', 'orders'];
  const body = cases.map((name, i) => `  <testcase classname="web" name="${name}">${i < failures ? '<failure message="expected 200, got 500"/>' : ''}</testcase>`).join('\n');
  return `<?xml version="1.0"?>\n<testsuite name="web" tests="${cases.length}" failures="${failures}">\n${body}\n</testsuite>\n`;
}

/**
 * The evidence behind the staging gates, for any app and version:
 * /APP/VERSION/coverage-summary.json and /APP/VERSION/junit.xml. The page switches
 * each between passing and failing.
 */
export class PlaygroundGateTarget {
  readonly evidence: { coverage: Evidence; junit: Evidence } = { coverage: 'passing', junit: 'passing' };
  private listening: Listening | null = null;

  async start(): Promise<this> {
    this.listening = await listenOnLoopback((req, res) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (/^\/[^/]+\/[^/]+\/coverage-summary\.json$/.test(path)) return sendJson(res, 200, JSON.parse(coverageSummary(EVIDENCE.coverage[this.evidence.coverage])));
      if (/^\/[^/]+\/[^/]+\/junit\.xml$/.test(path)) {
        res.writeHead(200, { 'content-type': 'application/xml' });
        return res.end(junitReport(EVIDENCE.junit[this.evidence.junit]));
      }
      sendJson(res, 404, { error: 'not found' });
    });
    return this;
  }

  get url(): string {
    if (!this.listening) throw new Error('The gate target has not started.');
    return this.listening.url;
  }

  close(): Promise<void> {
    return this.listening?.close() ?? Promise.resolve();
  }
}
