import { join } from 'node:path';
import { appendDurably, dropPartialLine, jsonlFiles, readLines } from './jsonl-file.js';

/** The calendar month (UTC) an instant falls in, as a file name: 2026-11. */
export function periodOf(at: string | number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/**
 * Audit entries moved out of Redis, as JSON Lines: one folder per chain, one file per
 * month, each line the entry exactly as it was in Redis (so its MAC and its link to the
 * entry before still verify). Files are only appended to.
 */
export class AuditArchive {
  constructor(readonly dir: string) {}

  private folder(chain: string): string {
    return join(this.dir, 'audit', encodeURIComponent(chain));
  }

  /** Every archived entry of CHAIN, oldest first. */
  async *entries(chain: string): AsyncGenerator<string> {
    const folder = this.folder(chain);
    for (const file of await jsonlFiles(folder)) yield* readLines(join(folder, file));
  }

  /** The last archived entry's seq and month (after cutting off a line a crash left half written). */
  async tip(chain: string): Promise<{ seq: number; period: string | null }> {
    const folder = this.folder(chain);
    const files = await jsonlFiles(folder);
    const last = files.at(-1);
    if (!last) return { seq: 0, period: null };
    await dropPartialLine(join(folder, last));
    let seq = 0;
    for await (const line of readLines(join(folder, last))) seq = (JSON.parse(line) as { seq: number }).seq;
    // A file emptied by dropping a partial line: the month before holds the tip.
    if (seq === 0 && files.length > 1) {
      for await (const line of readLines(join(folder, files.at(-2)!))) seq = (JSON.parse(line) as { seq: number }).seq;
    }
    return { seq, period: last.replace(/\.jsonl$/, '') };
  }

  /**
   * Appends entries (raw, in chain order) to their months' files, durably. A month never
   * goes back before the last file's, so reading the files by name keeps chain order
   * even if clocks disagreed.
   */
  async append(chain: string, raw: readonly string[], lastPeriod: string | null): Promise<void> {
    const byPeriod = new Map<string, string[]>();
    let floor = lastPeriod ?? '';
    for (const line of raw) {
      const period = [periodOf((JSON.parse(line) as { at: string }).at), floor].sort().at(-1)!;
      floor = period;
      byPeriod.set(period, byPeriod.get(period) ?? []);
      byPeriod.get(period)!.push(line);
    }
    for (const [period, lines] of byPeriod) await appendDurably(join(this.folder(chain), `${period}.jsonl`), lines);
  }
}
