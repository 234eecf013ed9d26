import { ReplyError, type Redis } from 'ioredis';

/** What Shipgate needs to know about the Redis it runs on. */
export interface RedisFacts {
  /** null when it could not be read. */
  evictionPolicy: string | null;
  /** null when it could not be read. */
  persistence: { aof: boolean; rdb: boolean } | null;
  /** Redis's own words when it refuses CONFIG (managed services rename or forbid it), else null. */
  configRefused: string | null;
}

export interface RedisVerdict {
  /** Why Shipgate must not take traffic on this Redis, or null. */
  problem: string | null;
  /** What an operator should fix, though Shipgate works meanwhile. */
  warnings: string[];
}

/** A Redis that accepted the connection but did not answer in time (paused, overloaded, blocked). */
export class RedisSilent extends Error {}

/** WORK, or a RedisSilent after MS; the command itself stays queued on its connection. */
export async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisSilent(`Redis did not answer within ${ms / 1000} s; it may be paused, overloaded or blocked by a long command`)), ms);
  });
  try {
    return await Promise.race([work, silent]);
  } finally {
    clearTimeout(timer);
  }
}

async function configValue(redis: Redis, name: string): Promise<string | null> {
  const [, value] = (await redis.config('GET', name)) as string[];
  return value ?? null;
}

/**
 * Reads the eviction policy and persistence. A refused CONFIG is a fact to report, not an
 * unreachable Redis: only the PING decides whether Redis answers.
 */
export async function readRedisFacts(redis: Redis): Promise<RedisFacts> {
  await redis.ping();
  try {
    const [policy, appendonly, save] = await Promise.all([configValue(redis, 'maxmemory-policy'), configValue(redis, 'appendonly'), configValue(redis, 'save')]);
    const persistence = appendonly === null || save === null ? null : { aof: appendonly === 'yes', rdb: save.trim() !== '' };
    return { evictionPolicy: policy, persistence, configRefused: null };
  } catch (error) {
    if (error instanceof ReplyError) return { evictionPolicy: null, persistence: null, configRefused: (error as Error).message };
    throw error;
  }
}

/** The verdict on those facts, in sentences an operator can act on. */
export function judgeRedis(facts: RedisFacts): RedisVerdict {
  const warnings: string[] = [];
  const { evictionPolicy, persistence, configRefused } = facts;
  if (configRefused !== null) {
    warnings.push(
      `Redis refuses CONFIG (${configRefused}), so the eviction policy could not be read and persistence could not be checked; make sure it runs with maxmemory-policy noeviction and appendonly yes`,
    );
  } else {
    if (evictionPolicy === null) warnings.push('the Redis eviction policy could not be read; make sure it is maxmemory-policy noeviction');
    if (persistence === null) warnings.push('Redis persistence could not be checked; make sure it runs with appendonly yes');
  }
  if (persistence && !persistence.aof && !persistence.rdb) {
    warnings.push('Redis has neither AOF nor RDB persistence; a restart loses every promotion, lock, queued job and the audit log (run it with appendonly yes)');
  }
  const problem = evictionPolicy !== null && evictionPolicy !== 'noeviction' ? `Redis maxmemory-policy is ${evictionPolicy}; queues need noeviction (CONFIG SET maxmemory-policy noeviction)` : null;
  return { problem, warnings };
}
