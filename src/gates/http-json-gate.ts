import { isDeepStrictEqual } from 'node:util';
import { getProperty } from 'dot-prop';
import { fetchJson } from './fetch-limited.js';
import { expandUrl, shownUrl, failed, passed, type Gate, type GateContext, type GateVerdict } from './gate.js';

export interface HttpJsonGateConfig {
  url: string;
  /** The URL as written in shipgate.yml (secrets as `${NAME}`): what evidence links show. */
  shownUrl?: string;
  headers: Record<string, string>;
  expect: { path: string; equals: unknown };
  timeoutMs: number;
  maxBytes: number;
}

/** The verdict on a JSON answer: the value at `path` must equal `equals`. */
export function judgeJson(body: unknown, expectation: HttpJsonGateConfig['expect'], evidenceUrl: string): GateVerdict {
  const actual = getProperty(body as Record<string, unknown>, expectation.path);
  const shown = (v: unknown) => (v === undefined ? 'missing' : JSON.stringify(v));
  const summary = `${expectation.path} = ${shown(actual)}`;
  return isDeepStrictEqual(actual, expectation.equals) ? passed(summary, evidenceUrl) : failed(`${summary}, expected ${shown(expectation.equals)}`, evidenceUrl);
}

/** A generic JSON check, such as a CI run's status. */
export class HttpJsonGate implements Gate {
  constructor(private readonly config: HttpJsonGateConfig) {}

  async run(ctx: GateContext) {
    const url = expandUrl(this.config.url, ctx);
    const evidence = shownUrl(this.config, ctx);
    const body = await fetchJson(url, { headers: this.config.headers, maxBytes: this.config.maxBytes, signal: ctx.signal });
    return judgeJson(body, this.config.expect, evidence);
  }
}
