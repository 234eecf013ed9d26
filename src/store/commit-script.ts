import type { Redis } from 'ioredis';
import { withScripts } from './lua-scripts.js';

type Op = [command: 'HSET' | 'HDEL' | 'DEL' | 'LPUSH' | 'RPUSH' | 'LTRIM' | 'ZADD' | 'ZREM' | 'XADD', key: string, ...args: (string | number)[]];

/**
 * Collects what one commit expects and writes, then runs it as one call of lua/commit.lua:
 * every expectation must still hold and the audit head must be the one the entries were
 * chained to, or nothing is written.
 */
export class CommitPlan {
  private readonly keys: string[] = [];
  private readonly expect: [number, string, string | null][] = [];
  private readonly ops: (string | number)[][] = [];
  private audit: { chain: string; head: number; log: number; index: number; prev: string; entries: string[]; next: string } | null = null;

  private index(key: string): number {
    const at = this.keys.indexOf(key);
    if (at >= 0) return at + 1;
    this.keys.push(key);
    return this.keys.length;
  }

  /** The hash field must hold `value` (null: must be absent) when the commit runs. */
  expectField(key: string, field: string, value: string | null): this {
    this.expect.push([this.index(key), field, value]);
    return this;
  }

  op(...[command, key, ...args]: Op): this {
    this.ops.push([command, this.index(key), ...args.map(String)]);
    return this;
  }

  /** Appends to one audit chain only if its head is still `prevHead`, and records the chain's name in the index. */
  appendAudit(chain: { name: string; log: string; head: string; index: string }, prevHead: string, entries: string[], nextHead: string): this {
    this.audit = { chain: chain.name, head: this.index(chain.head), log: this.index(chain.log), index: this.index(chain.index), prev: prevHead, entries, next: nextHead };
    return this;
  }

  get isEmpty(): boolean {
    return this.ops.length === 0 && this.audit === null;
  }

  /** True when applied; false when an expectation no longer held (re-read and decide again). */
  async run(redis: Redis): Promise<boolean> {
    const plan = JSON.stringify({ expect: this.expect, ops: this.ops, audit: this.audit });
    const result = await withScripts(redis).shipgateCommit(this.keys.length, ...this.keys, plan);
    return result === 'ok';
  }
}
