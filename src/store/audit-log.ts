import type { Redis } from 'ioredis';
import { ChainVerifier, type Anchor, type ChainCheck } from './audit-chain.js';
import type { Checkpoint } from './audit-checkpoint.js';
import type { AuditKey } from './audit-key.js';
import type { Keys } from './keys.js';

const PAGE = 1000;

export interface ChainReport {
  chain: string;
  check: ChainCheck;
  /** The last entry checked, for a checkpoint; null when the chain is empty or broken. */
  tip: { seq: number; mac: string; at: string } | null;
}

/**
 * Reads and verifies the audit chains page by page, holding one page at a time:
 * memory stays constant however long the chains grow.
 */
export class AuditLog {
  private readonly pageSize: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly key: AuditKey,
    options: { pageSize?: number } = {},
  ) {
    this.pageSize = options.pageSize ?? PAGE;
  }

  /** Every chain's name, sorted: the stable order of verification and export. */
  async chains(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.auditChains)).sort();
  }

  /** One chain's raw entries in order, unverified. */
  async *entries(chain: string): AsyncGenerator<string> {
    for (let start = 0; ; start += this.pageSize) {
      const page = await this.redis.lrange(this.keys.auditLog(chain), start, start + this.pageSize - 1);
      yield* page;
      if (page.length < this.pageSize) return;
    }
  }

  /**
   * Verifies one chain while streaming it. Each page is read in one transaction with the
   * head, so the head read with the last page is the head of exactly what was read, even
   * while Shipgate keeps appending. `onEntry` sees every entry, also past a break (export).
   */
  async check(chain: string, options: { anchor?: Anchor | null; onEntry?: (raw: string) => void } = {}): Promise<ChainReport> {
    const verifier = new ChainVerifier(this.key, chain, options.anchor ?? null);
    for (let start = 0; ; start += this.pageSize) {
      const [page, head] = await this.pageWithHead(chain, start);
      for (const raw of page) {
        options.onEntry?.(raw);
        if (!verifier.add(raw) && !options.onEntry) return { chain, check: verifier.finish(head), tip: null };
      }
      if (page.length < this.pageSize) {
        const check = verifier.finish(head);
        // Shipgate names a chain in the index in the same step as its first entry: a named chain is never empty.
        if (check.ok && check.entries === 0) return { chain, check: { ok: false, entries: 0, seq: 0, problem: 'the chain has no entries left (it was deleted)' }, tip: null };
        return { chain, check, tip: check.ok ? verifier.tip : null };
      }
    }
  }

  /** Checks every chain in the index, and every chain a checkpoint names, in name order (those `only` keeps, when given). */
  async *checkAll(options: { checkpoints?: readonly Checkpoint[]; onEntry?: (raw: string) => void; only?: (chain: string) => boolean } = {}): AsyncGenerator<ChainReport> {
    const anchors = new Map((options.checkpoints ?? []).map((c) => [c.chain, { seq: c.seq, mac: c.mac }]));
    const names = [...new Set([...(await this.chains()), ...anchors.keys()])].filter(options.only ?? (() => true)).sort();
    for (const chain of names) yield await this.check(chain, { anchor: anchors.get(chain) ?? null, onEntry: options.onEntry });
  }

  /** Every chain verified; the first break, naming its chain, or the number of entries in all. */
  async verify(): Promise<ChainCheck & { chain?: string }> {
    let entries = 0;
    for await (const report of this.checkAll()) {
      if (!report.check.ok) return { ...report.check, chain: report.chain };
      entries += report.check.entries;
    }
    return { ok: true, entries };
  }

  private async pageWithHead(chain: string, start: number): Promise<[string[], string | null]> {
    const results = (await this.redis.multi().lrange(this.keys.auditLog(chain), start, start + this.pageSize - 1).get(this.keys.auditHead(chain)).exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    return [results[0]![1] as string[], results[1]![1] as string | null];
  }
}
