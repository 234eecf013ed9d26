import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { isFinal, type Instant, type Promotion } from '../domain/promotion.js';
import { parseHead } from './audit-chain.js';
import { periodOf, type AuditArchive } from './audit-archive.js';
import { appendDurably, dropPartialLine, readLines } from './jsonl-file.js';
import type { Keys } from './keys.js';

const PAGE = 500;
/** Longer than one archival takes; a worker killed mid-run frees it by expiry. */
const LOCK_MS = 10 * 60_000;

/** Trims a chain's archived entries from Redis only if no other archival moved the marker meanwhile. */
const TRIM_AUDIT_LUA = `
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
redis.call('SET', KEYS[2], ARGV[3])
return 1
`;

/** Removes an archived promotion's keys only if its record is the revision that was archived. */
const DROP_PROMOTION_LUA = `
if redis.call('HGET', KEYS[1], 'rev') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
redis.call('ZREM', KEYS[6], ARGV[2])
redis.call('ZREM', KEYS[7], ARGV[2])
return 1
`;

const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface RetentionReport {
  /** False when another worker was archiving: this run did nothing. */
  ran: boolean;
  auditEntries: number;
  promotions: number;
}

/** When a promotion last changed state for good: its ending, its deployment's end, or when it was asked for. */
export function finishedAt(p: Promotion): Instant {
  return Math.max(p.requestedAt, p.ending?.at ?? 0, p.deployment?.finishedAt ?? 0, p.deployment?.startedAt ?? 0);
}

/**
 * Moves what is older than the retention out of Redis into JSON Lines files: audit
 * entries (one file per chain and month, see AuditArchive) and finished promotions
 * with their thread notes (one file per month). Each step writes the archive and fsyncs
 * it first, then trims Redis with a compare-and-set, so a run killed anywhere loses
 * nothing, and the next run skips what the files already hold. One run at a time
 * across workers (a lock in Redis).
 */
export class Retention {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly archive: AuditArchive,
    private readonly retentionMs: number,
    private readonly now: () => Instant,
  ) {}

  async run(): Promise<RetentionReport> {
    const token = randomUUID();
    if ((await this.redis.set(this.keys.archiveLock, token, 'PX', LOCK_MS, 'NX')) !== 'OK') return { ran: false, auditEntries: 0, promotions: 0 };
    try {
      const cutoff = this.now() - this.retentionMs;
      // Promotions first: a record never outlives the audit entries that explain it in Redis.
      const promotions = await this.archivePromotions(cutoff);
      let auditEntries = 0;
      for (const chain of await this.redis.smembers(this.keys.auditChains)) auditEntries += await this.archiveChain(chain, cutoff);
      return { ran: true, auditEntries, promotions };
    } finally {
      await this.redis.eval(RELEASE_LOCK, 1, this.keys.archiveLock, token);
    }
  }

  /** Moves CHAIN's entries older than CUTOFF to the archive, a page at a time; returns how many. */
  private async archiveChain(chain: string, cutoff: Instant): Promise<number> {
    let moved = 0;
    for (;;) {
      const markerRaw = (await this.redis.get(this.keys.auditArchived(chain))) ?? '';
      const marker = parseHead(markerRaw);
      const page = await this.redis.lrange(this.keys.auditLog(chain), 0, PAGE - 1);
      const old: string[] = [];
      let last = marker;
      for (const raw of page) {
        const entry = JSON.parse(raw) as { seq: number; at: string; mac: string };
        if (Date.parse(entry.at) >= cutoff) break;
        old.push(raw);
        last = { seq: entry.seq, mac: entry.mac };
      }
      if (old.length === 0) return moved;
      // What an earlier, interrupted run already wrote is not written twice.
      const tip = await this.archive.tip(chain);
      if (tip.seq < marker.seq) throw new Error(`The audit archive of chain ${chain} ends at entry ${tip.seq}, but Redis says ${marker.seq} were moved there: restore the archive folder before archiving again.`);
      const unwritten = old.filter((raw) => (JSON.parse(raw) as { seq: number }).seq > tip.seq);
      await this.archive.append(chain, unwritten, tip.period);
      const trimmed = await this.redis.eval(TRIM_AUDIT_LUA, 2, this.keys.auditLog(chain), this.keys.auditArchived(chain), markerRaw, old.length, `${last.seq}:${last.mac}`);
      if (Number(trimmed) === 0) return moved;
      moved += old.length;
      if (old.length < page.length || page.length < PAGE) return moved;
    }
  }

  /** Moves finished promotions that ended before CUTOFF, except the one each environment runs now. */
  private async archivePromotions(cutoff: Instant): Promise<number> {
    let moved = 0;
    // Asked for before the cutoff is necessary (a promotion ends after it is asked for), not sufficient.
    const ids = await this.redis.zrangebyscore(this.keys.all, '-inf', `(${cutoff}`);
    for (let i = 0; i < ids.length; i += PAGE) {
      const batch = ids.slice(i, i + PAGE);
      const pipeline = this.redis.pipeline();
      for (const id of batch) pipeline.hmget(this.keys.promotion(id), 'json', 'rev').lrange(this.keys.notes(id), 0, -1);
      const results = (await pipeline.exec()) ?? [];
      const due: { promotion: Promotion; rev: string; notes: unknown[] }[] = [];
      for (let j = 0; j < batch.length; j++) {
        const [json, rev] = (results[2 * j]?.[1] ?? []) as (string | null)[];
        if (!json || !rev) continue;
        const promotion = JSON.parse(json) as Promotion;
        if (!isFinal(promotion.state) || finishedAt(promotion) >= cutoff) continue;
        // What runs now stays: its Roll back button and the ledger point at it.
        if ((await this.redis.hget(this.keys.ledger(promotion.app, promotion.environment), 'promotion')) === promotion.id) continue;
        due.push({ promotion, rev, notes: ((results[2 * j + 1]?.[1] ?? []) as string[]).map((n) => JSON.parse(n) as unknown) });
      }
      moved += await this.movePromotions(due);
    }
    return moved;
  }

  private async movePromotions(due: { promotion: Promotion; rev: string; notes: unknown[] }[]): Promise<number> {
    const byPeriod = new Map<string, typeof due>();
    for (const d of due) {
      const period = periodOf(finishedAt(d.promotion));
      byPeriod.set(period, byPeriod.get(period) ?? []);
      byPeriod.get(period)!.push(d);
    }
    let moved = 0;
    for (const [period, records] of byPeriod) {
      const file = join(this.archive.dir, 'promotions', `${period}.jsonl`);
      await dropPartialLine(file);
      // A record an interrupted run wrote but did not remove is not written twice; a later revision is (the last line of an id wins).
      const written = new Set<string>();
      for await (const line of readLines(file)) {
        const { promotion, rev } = JSON.parse(line) as { promotion: { id: string }; rev: number };
        written.add(`${promotion.id}@${rev}`);
      }
      await appendDurably(
        file,
        records.filter((r) => !written.has(`${r.promotion.id}@${r.rev}`)).map((r) => JSON.stringify({ promotion: r.promotion, rev: Number(r.rev), notes: r.notes })),
      );
      for (const r of records) {
        const id = r.promotion.id;
        const { keys } = this;
        const dropped = await this.redis.eval(DROP_PROMOTION_LUA, 7, keys.promotion(id), keys.notes(id), keys.notesPosted(id), keys.rendered(id), keys.alertsOfPromotion(id), keys.all, keys.active, r.rev, id);
        if (Number(dropped) === 1) moved++;
      }
    }
    return moved;
  }
}
