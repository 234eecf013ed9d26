import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Fails the whole run at once, with what to do, when no Redis answers. */
export default async function checkRedis(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
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
}
