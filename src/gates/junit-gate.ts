import { XMLParser } from 'fast-xml-parser';
import { fetchText } from './fetch-limited.js';
import { expandUrl, shownUrl, failed, GateError, passed, type Gate, type GateContext, type GateVerdict } from './gate.js';

export interface JunitGateConfig {
  url: string;
  /** The URL as written in shipgate.yml (secrets as `${NAME}`): what evidence links show. */
  shownUrl?: string;
  headers: Record<string, string>;
  maxFailures: number;
  timeoutMs: number;
  maxBytes: number;
}

export interface JunitCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

type Node = Record<string, unknown>;
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Counts from a JUnit XML report, by counting the test cases themselves, so producers
 * that omit or disagree on the totals (Surefire, jest-junit, pytest, Go's gotestsum)
 * all read the same way. Nested suites are followed.
 */
export function junitCounts(text: string): JunitCounts {
  let doc: Node;
  try {
    doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['testsuite', 'testcase'].includes(name) }).parse(text) as Node;
  } catch (error) {
    throw new GateError(`the JUnit report is not XML (${(error as Error).message})`);
  }
  const roots = [...asArray(doc.testsuites as Node | Node[] | undefined), ...asArray(doc.testsuite as Node[] | undefined).map((s) => ({ testsuite: [s] }))];
  if (roots.length === 0) throw new GateError('the XML has no <testsuites> or <testsuite> (expected a JUnit report)');
  const counts: JunitCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const visit = (suite: Node) => {
    for (const testcase of asArray(suite.testcase as Node[] | undefined)) {
      counts.tests++;
      if (testcase.failure !== undefined) counts.failures++;
      else if (testcase.error !== undefined) counts.errors++;
      else if (testcase.skipped !== undefined) counts.skipped++;
    }
    for (const inner of asArray(suite.testsuite as Node[] | undefined)) visit(inner);
  };
  for (const root of roots) for (const suite of asArray((root as Node).testsuite as Node[] | undefined)) visit(suite);
  return counts;
}

export function judgeJunit(text: string, maxFailures: number, evidenceUrl: string): GateVerdict {
  const c = junitCounts(text);
  const broken = c.failures + c.errors;
  const summary = `${broken} failed of ${c.tests} tests (${c.skipped} skipped), at most ${maxFailures} allowed`;
  if (c.tests === 0) return failed('the JUnit report has no test cases', evidenceUrl);
  return broken <= maxFailures ? passed(summary, evidenceUrl) : failed(summary, evidenceUrl);
}

export class JunitGate implements Gate {
  constructor(private readonly config: JunitGateConfig) {}

  async run(ctx: GateContext) {
    const url = expandUrl(this.config.url, ctx);
    const evidence = shownUrl(this.config, ctx);
    return judgeJunit(await fetchText(url, { headers: this.config.headers, maxBytes: this.config.maxBytes, signal: ctx.signal }), this.config.maxFailures, evidence);
  }
}
