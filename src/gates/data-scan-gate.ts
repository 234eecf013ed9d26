import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { streamLimited } from './fetch-limited.js';
import { scanCards, scanEmails, scanIbans, scanPhones, type SliceCount } from './pii-scan.js';
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

/** Text scanned between two turns of the event loop, so a long scan never holds up the job's lock renewal. */
export const SCAN_SLICE_CHARS = 64 * 1024;

const SCANNERS: Record<PiiKind, (text: string, from: number, to: number) => SliceCount> = {
  email: scanEmails,
  phone: scanPhones,
  iban: scanIbans,
  credit_card: scanCards,
};

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

  /** Scans one line at once. */
  line(line: string): void {
    for (const _ of this.slices(line, Number.POSITIVE_INFINITY));
  }

  /** Scans one line, giving the event loop a turn after every slice of text. */
  async lineYielding(line: string, sliceChars = SCAN_SLICE_CHARS): Promise<void> {
    for (const _ of this.slices(line, sliceChars)) await yieldToEventLoop();
  }

  /** The scan of one line, paused (yielded) after each slice of at most `sliceChars` of one string for one kind. */
  private *slices(line: string, sliceChars: number): Generator<void> {
    if (!line.trim()) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      this.unreadable++;
      return;
    }
    this.records++;
    yield;
    for (const text of stringsIn(record)) {
      for (const kind of this.kinds) {
        for (let from = 0; from < text.length; ) {
          const { count, next } = SCANNERS[kind](text, from, Math.min(text.length, from + sliceChars));
          this.counts[kind] += count;
          from = next;
          if (from < text.length) yield;
        }
      }
    }
  }

  verdict(evidenceUrl: string): GateVerdict {
    const found = this.kinds.filter((k) => this.counts[k] > 0);
    const tally = this.kinds.map((k) => `${this.counts[k]} ${k}`).join(', ');
    const scanned = `${this.records} records${this.unreadable ? `, ${this.unreadable} unreadable lines` : ''}`;
    if (this.records === 0) return failed(`the sample has no records (${scanned})`, evidenceUrl);
    return found.length === 0 ? passed(`no personal data in ${scanned} (${tally})`, evidenceUrl) : failed(`personal data found in ${scanned}: ${tally}`, evidenceUrl);
  }
}

/** Streams a JSON Lines sample and counts personal data by kind, letting other work run between slices. */
export class DataScanGate implements Gate {
  constructor(private readonly config: DataScanGateConfig) {}

  async run(ctx: GateContext) {
    return (await this.count(ctx)).verdict(shownUrl(this.config, ctx));
  }

  /** The counts alone, for a caller that keeps them as evidence (a data refresh's masking check). */
  async count(ctx: Pick<GateContext, 'app' | 'version' | 'environment' | 'signal'>): Promise<PiiCounter> {
    const url = expandUrl(this.config.url, ctx);
    const counter = new PiiCounter(this.config.forbid);
    const decoder = new TextDecoder();
    // The start of a record cut by a chunk, kept in pieces until its newline arrives, so a
    // long line costs its length once, not once per chunk.
    let pending: string[] = [];
    let sinceYield = 0;
    const scan = async (line: string) => {
      if (line.length > SCAN_SLICE_CHARS) return counter.lineYielding(line);
      counter.line(line);
      sinceYield += line.length;
      // Many short lines: a turn for the event loop every slice's worth of them.
      if (sinceYield >= SCAN_SLICE_CHARS) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    };
    for await (const chunk of streamLimited(url, { headers: this.config.headers, maxBytes: this.config.maxBytes, signal: ctx.signal })) {
      const text = decoder.decode(chunk, { stream: true });
      let from = 0;
      for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', from)) {
        pending.push(text.slice(from, newline));
        await scan(pending.join(''));
        pending = [];
        from = newline + 1;
      }
      pending.push(text.slice(from));
    }
    pending.push(decoder.decode());
    await scan(pending.join(''));
    return counter;
  }
}
