import type { Redis } from 'ioredis';
import { ChainVerifier, parseHead, type Anchor, type ChainCheck } from './audit-chain.js';
import type { AuditArchive } from './audit-archive.js';
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
    options: { pageSize?: number; archive?: AuditArchive | null } = {},
  ) {
    this.pageSize = options.pageSize ?? PAGE;
    this.archive = options.archive ?? null;
  }

  /** Where entries older than the retention went; their chain continues in Redis. */
  private readonly archive: AuditArchive | null;

  /** Every chain's name, sorted: the stable order of verification and export. */
  async chains(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.auditChains)).sort();
  }

  /** One chain's raw entries in order, unverified: the archived ones first, then those in Redis. */
  async *entries(chain: string): AsyncGenerator<string> {
    const archived = parseHead(await this.redis.get(this.keys.auditArchived(chain))).seq;
    if (this.archive && archived > 0) {
      let n = 0;
      for await (const raw of this.archive.entries(chain)) {
        if (++n > archived) break;
        yield raw;
      }
    }
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
    const broken = (seq: number, problem: string): ChainReport => ({ chain, check: { ok: false, entries: seq - 1, seq, problem }, tip: null });
    // Entries moved to the archive come first; Redis says how many were moved, and the last one's MAC.
    const marker = parseHead(await this.redis.get(this.keys.auditArchived(chain)));
    if (marker.seq > 0) {
      if (!this.archive) return broken(1, `entries 1 to ${marker.seq} were moved to the archive: verify with the archive folder configured (retention.archive)`);
      let archived = 0;
      for await (const raw of this.archive.entries(chain)) {
        // Lines past the marker were written by an archival that had not trimmed Redis yet: Redis still holds them.
        if (archived === marker.seq) break;
        archived++;
        options.onEntry?.(raw);
        if (!verifier.add(raw) && !options.onEntry) return { chain, check: verifier.finish(null), tip: null };
      }
      if (archived < marker.seq) return broken(archived + 1, `the archive holds ${archived} entries of this chain, but ${marker.seq} were moved there (archive files are missing or truncated)`);
      if (verifier.tip && verifier.tip.mac !== marker.mac) return broken(marker.seq, 'the last archived entry is not the one Shipgate moved there (the archive was edited)');
    }
    for (let seq = marker.seq + 1; ; seq += this.pageSize) {
      const page = await this.pageWithHead(chain, seq);
      if (page === null) return broken(seq, 'entries were archived while the chain was being verified: run the verification again');
      const [entries, head] = page;
      for (const raw of entries) {
        options.onEntry?.(raw);
        if (!verifier.add(raw) && !options.onEntry) return { chain, check: verifier.finish(head), tip: null };
      }
      if (entries.length < this.pageSize) {
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

  /**
   * A page of live entries from entry SEQ on, read in one transaction with the head and
   * the archive marker (the live list starts after the last archived entry); null when
   * entry SEQ was archived meanwhile.
   */
  private async pageWithHead(chain: string, seq: number): Promise<[string[], string | null] | null> {
    for (;;) {
      const marker = parseHead(await this.redis.get(this.keys.auditArchived(chain))).seq;
      if (seq <= marker) return null;
      const start = seq - marker - 1;
      const results =
        (await this.redis.multi().get(this.keys.auditArchived(chain)).lrange(this.keys.auditLog(chain), start, start + this.pageSize - 1).get(this.keys.auditHead(chain)).exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed) throw failed[0];
      // The marker moved between the two reads: read again with the new one.
      if (parseHead(results[0]![1] as string | null).seq !== marker) continue;
      return [results[1]![1] as string[], results[2]![1] as string | null];
    }
  }
}
