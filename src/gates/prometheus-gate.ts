import { redactSecrets, withoutUserinfo } from '../domain/redact.js';
import { fetchJson } from './fetch-limited.js';
import { expandUrl, failed, formatNumber, GateError, passed, type Gate, type GateContext, type GateVerdict } from './gate.js';

export interface PrometheusGateConfig {
  url: string;
  /** The URL as written in shipgate.yml (secrets as `${NAME}`): what evidence links show. */
  shownUrl?: string;
  query: string;
  below: number | null;
  above: number | null;
  headers: Record<string, string>;
  timeoutMs: number;
  maxBytes: number;
}

type Sample = [number, string];
interface QueryAnswer {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** The values of an instant query answer (vector or scalar) from Prometheus's HTTP API. */
export function prometheusValues(answer: unknown): number[] {
  const a = answer as QueryAnswer;
  if (a.status !== 'success') throw new GateError(`Prometheus answered ${a.status ?? 'without a status'}${a.error ? `: ${redactSecrets(String(a.error))}` : ''}`);
  const { resultType, result } = a.data ?? {};
  if (resultType === 'scalar') return [Number((result as Sample)[1])];
  if (resultType === 'vector') return (result as { value: Sample }[]).map((series) => Number(series.value[1]));
  throw new GateError(`the query gave a ${resultType ?? 'missing'} result; use a query that gives a vector or a scalar`);
}

/** Every series must hold: all values below `below` and above `above`. */
export function judgePrometheus(answer: unknown, config: Pick<PrometheusGateConfig, 'below' | 'above'>, evidenceUrl: string): GateVerdict {
  const values = prometheusValues(answer);
  if (values.length === 0) throw new GateError('the query returned no data');
  if (values.some(Number.isNaN)) throw new GateError('the query returned NaN');
  const worstHigh = Math.max(...values);
  const worstLow = Math.min(...values);
  const shown = (n: number) => formatNumber(n, 3);
  if (config.below !== null && !(worstHigh < config.below)) return failed(`value ${shown(worstHigh)} ≥ ${config.below}`, evidenceUrl);
  if (config.above !== null && !(worstLow > config.above)) return failed(`value ${shown(worstLow)} ≤ ${config.above}`, evidenceUrl);
  const parts = [config.below !== null ? `${shown(worstHigh)} < ${config.below}` : null, config.above !== null ? `${shown(worstLow)} > ${config.above}` : null].filter(Boolean);
  return passed(`value ${parts.join(', ')}`, evidenceUrl);
}

export class PrometheusGate implements Gate {
  constructor(private readonly config: PrometheusGateConfig) {}

  async run(ctx: GateContext) {
    const query = expandUrl(this.config.query, ctx).replace(/%[0-9A-F]{2}/g, (m) => decodeURIComponent(m));
    const base = this.config.url.replace(/\/+$/, '');
    const url = `${base}/api/v1/query?query=${encodeURIComponent(query)}`;
    // The graph link people follow is built on the URL as written, so no secret in it is shown.
    const shownBase = withoutUserinfo(this.config.shownUrl ?? this.config.url).replace(/\/+$/, '');
    const graph = `${shownBase}/graph?g0.expr=${encodeURIComponent(query)}`;
    return judgePrometheus(await fetchJson(url, { headers: this.config.headers, maxBytes: this.config.maxBytes, signal: ctx.signal }), this.config, graph);
  }
}
