import { findPhoneNumbersInText } from 'libphonenumber-js';
import validator from 'validator';
import { streamLimited } from './fetch-limited.js';
import { expandUrl, shownUrl, failed, passed, type Gate, type GateContext, type GateVerdict } from './gate.js';

export const PII_KINDS = ['email', 'phone', 'iban', 'credit_card'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export interface DataScanGateConfig {
  url: string;
  /** The URL as written in shipgate.yml (secrets as `${NAME}`): what evidence links show. */
  shownUrl?: string;
  headers: Record<string, string>;
  forbid: readonly PiiKind[];
  timeoutMs: number;
  maxBytes: number;
}

/** Candidate tokens, confirmed by validator (e-mail, Luhn for cards, IBAN check digits) or libphonenumber-js. */
const EMAIL = /[^\s"'<>@,;]+@[^\s"'<>@,;]+\.[^\s"'<>@,;]+/g;
const CARD = /\b(?:\d[ -]?){12,18}\d\b/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g;

function countIn(text: string, kind: PiiKind): number {
  switch (kind) {
    case 'email':
      return (text.match(EMAIL) ?? []).filter((m) => validator.isEmail(m)).length;
    case 'credit_card':
      return (text.match(CARD) ?? []).filter((m) => validator.isCreditCard(m.replace(/[ -]/g, ''))).length;
    case 'iban':
      return (text.match(IBAN) ?? []).filter((m) => validator.isIBAN(m.replace(/ /g, ''))).length;
    case 'phone':
      return findPhoneNumbersInText(text, { defaultCountry: undefined, extended: false } as never).length;
  }
}

/** Every string in a JSON value, wherever it is nested. */
function* stringsIn(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* stringsIn(v);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) yield* stringsIn(v);
}

/** Counts per kind over JSON Lines; only the counts are kept, never a value that was found. */
export class PiiCounter {
  readonly counts: Record<PiiKind, number> = { email: 0, phone: 0, iban: 0, credit_card: 0 };
  records = 0;
  unreadable = 0;

  constructor(private readonly kinds: readonly PiiKind[]) {}

  line(line: string): void {
    if (!line.trim()) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      this.unreadable++;
      return;
    }
    this.records++;
    for (const text of stringsIn(record)) for (const kind of this.kinds) this.counts[kind] += countIn(text, kind);
  }

  verdict(evidenceUrl: string): GateVerdict {
    const found = this.kinds.filter((k) => this.counts[k] > 0);
    const tally = this.kinds.map((k) => `${this.counts[k]} ${k}`).join(', ');
    const scanned = `${this.records} records${this.unreadable ? `, ${this.unreadable} unreadable lines` : ''}`;
    if (this.records === 0) return failed(`the sample has no records (${scanned})`, evidenceUrl);
    return found.length === 0 ? passed(`no personal data in ${scanned} (${tally})`, evidenceUrl) : failed(`personal data found in ${scanned}: ${tally}`, evidenceUrl);
  }
}

/** Streams a JSON Lines sample and counts personal data by kind. */
export class DataScanGate implements Gate {
  constructor(private readonly config: DataScanGateConfig) {}

  async run(ctx: GateContext) {
    const url = expandUrl(this.config.url, ctx);
    const evidence = shownUrl(this.config, ctx);
    const counter = new PiiCounter(this.config.forbid);
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of streamLimited(url, { headers: this.config.headers, maxBytes: this.config.maxBytes, signal: ctx.signal })) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) counter.line(line);
    }
    counter.line(pending + decoder.decode());
    return counter.verdict(evidence);
  }
}
