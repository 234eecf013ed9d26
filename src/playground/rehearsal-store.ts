import type { Redis } from 'ioredis';

/** One rollback rehearsal: how long rolling back and rolling forward took, end to end. */
export interface RehearsalResult {
  at: number;
  app: string;
  environment: string;
  from: string;
  to: string;
  rollbackMs: number;
  rollForwardMs: number;
}

const KEEP = 20;

/** Rehearsal results in Redis, under the playground's own prefix, newest first. */
export class RehearsalStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:playground:rehearsals`;
  }

  async record(result: RehearsalResult): Promise<void> {
    await this.redis.multi().lpush(this.key, JSON.stringify(result)).ltrim(this.key, 0, KEEP - 1).exec();
  }

  async list(): Promise<RehearsalResult[]> {
    return (await this.redis.lrange(this.key, 0, -1)).map((raw) => JSON.parse(raw) as RehearsalResult);
  }
}
