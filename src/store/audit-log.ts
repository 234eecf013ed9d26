import type { Redis } from 'ioredis';
import { verifyChain, type ChainCheck } from './audit-chain.js';
import type { Keys } from './keys.js';

const PAGE = 1000;

/** Reads the hash-chained audit log page by page. */
export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async *entries(): AsyncGenerator<string> {
    for (let start = 0; ; start += PAGE) {
      const page = await this.redis.lrange(this.keys.auditLog, start, start + PAGE - 1);
      yield* page;
      if (page.length < PAGE) return;
    }
  }

  async verify(): Promise<ChainCheck> {
    const all: string[] = [];
    for await (const raw of this.entries()) all.push(raw);
    return verifyChain(all, await this.redis.get(this.keys.auditHead));
  }
}
