import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The id of this test run (set by global-setup.ts), part of every key prefix the tests use,
 * so the run can check at its end that it left no key behind, even while other runs share
 * the same Redis. Outside vitest (the benchmarks), a random id of its own.
 */
export const TEST_RUN = process.env.SHIPGATE_TEST_RUN ?? randomBytes(3).toString('hex');

/** A fresh Redis key prefix (a Cluster hash tag, like the default `{shipgate}`) for one test or file. */
export function testPrefix(label = ''): string {
  return `{t-${TEST_RUN}-${label ? `${label}-` : ''}${randomBytes(4).toString('hex')}}`;
}

/** The pattern that matches every key of one run's prefixes. */
export function runPattern(run: string): string {
  return `{t-${run}-*`;
}

/** Deletes every key that starts with PATTERN (a SCAN MATCH glob); returns them, by prefix. */
export async function deleteKeysMatching(redis: Redis, pattern: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    await redis.unlink(...keys);
    for (const key of keys) {
      const prefix = key.slice(0, key.indexOf('}') + 1) || key;
      found.set(prefix, (found.get(prefix) ?? 0) + 1);
    }
  } while (cursor !== '0');
  return found;
}

/** Deletes every key under PREFIX (what a test that made its own prefix calls when done). */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  await deleteKeysMatching(redis, `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`);
}
