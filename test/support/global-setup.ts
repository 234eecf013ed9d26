import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { deleteKeysMatching, runPattern } from './test-prefix.js';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function connect(): Redis {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Fails the whole run at once, with what to do, when no Redis answers. Gives the run an id
 * that every test key prefix carries (test-prefix.ts), and at the end fails the run when any
 * key under those prefixes is left: each test must clean up after itself, or the shared Redis
 * fills up over time. The leftovers are deleted, so one leak does not fail the next run too.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const redis = connect();
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `The tests need a real Redis at ${TEST_REDIS_URL}, and none answers (${(error as Error).message}).\n` +
        'Start one with: redis-server --daemonize yes --port 6379 --save ""   (or set REDIS_URL)',
    );
  } finally {
    redis.disconnect();
  }
  const run = randomBytes(3).toString('hex');
  process.env.SHIPGATE_TEST_RUN = run;

  return async () => {
    const check = connect();
    try {
      await check.connect();
      const leftovers = await deleteKeysMatching(check, runPattern(run));
      if (leftovers.size > 0) {
        const list = [...leftovers].map(([prefix, count]) => `${prefix} (${count} key${count === 1 ? '' : 's'})`).join(', ');
        // vitest only logs an error thrown here; the exit code is what CI sees.
        process.exitCode = 1;
        console.error(`\nFAIL: the tests left keys in Redis under ${list}; now deleted. The test that made each prefix must delete its keys when it ends (see test/support/test-prefix.ts).\n`);
      }
    } finally {
      check.disconnect();
    }
  };
}
