import lcovParser from '@friedemannsommer/lcov-parser/sync';
import { XMLParser } from 'fast-xml-parser';
import { fetchText } from './fetch-limited.js';
import { expandUrl, shownUrl, failed, formatNumber, GateError, passed, type Gate, type GateContext, type GateVerdict } from './gate.js';

export interface CoverageGateConfig {
  url: string;
  /** The URL as written in shipgate.yml (secrets as `${NAME}`): what evidence links show. */
  shownUrl?: string;
  headers: Record<string, string>;
  minLines: number;
  timeoutMs: number;
  maxBytes: number;
}

export type CoverageFormat = 'istanbul-json-summary' | 'cobertura' | 'lcov';

/** Line coverage in percent from an istanbul json-summary, a Cobertura XML or an lcov report (detected from the text). */
export function lineCoverage(text: string): { percent: number; format: CoverageFormat } {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    let json: { total?: { lines?: { pct?: unknown; covered?: number; total?: number } } };
    try {
      json = JSON.parse(trimmed) as typeof json;
    } catch {
      throw new GateError('the coverage report is not valid JSON');
    }
    const lines = json.total?.lines;
    if (typeof lines?.pct === 'number') return { percent: lines.pct, format: 'istanbul-json-summary' };
    if (lines && typeof lines.total === 'number' && lines.total === 0) return { percent: 100, format: 'istanbul-json-summary' };
    throw new GateError('the JSON coverage report has no total.lines.pct (expected an istanbul json-summary)');
  }
  if (trimmed.startsWith('<')) {
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(trimmed) as { coverage?: Record<string, string> };
    const rate = Number(xml.coverage?.['line-rate']);
    if (!xml.coverage || Number.isNaN(rate)) throw new GateError('the XML coverage report has no coverage line-rate (expected Cobertura)');
    return { percent: rate * 100, format: 'cobertura' };
  }
  const sections = lcovParser({ from: trimmed });
  if (sections.length === 0) throw new GateError('the coverage report is not istanbul json-summary, Cobertura XML or lcov');
  const found = sections.reduce((sum, s) => sum + s.lines.instrumented, 0);
  const hit = sections.reduce((sum, s) => sum + s.lines.hit, 0);
  return { percent: found === 0 ? 100 : (hit / found) * 100, format: 'lcov' };
}

export function judgeCoverage(text: string, minLines: number, evidenceUrl: string): GateVerdict {
  const { percent } = lineCoverage(text);
  const shown = Math.floor(percent * 10) / 10;
  return percent >= minLines ? passed(`coverage ${formatNumber(shown)}% ≥ ${minLines}%`, evidenceUrl) : failed(`coverage ${formatNumber(shown)}% < ${minLines}%`, evidenceUrl);
}

export class CoverageGate implements Gate {
  constructor(private readonly config: CoverageGateConfig) {}

  async run(ctx: GateContext) {
    const url = expandUrl(this.config.url, ctx);
    const evidence = shownUrl(this.config, ctx);
    return judgeCoverage(await fetchText(url, { headers: this.config.headers, maxBytes: this.config.maxBytes, signal: ctx.signal }), this.config.minLines, evidence);
  }
}
