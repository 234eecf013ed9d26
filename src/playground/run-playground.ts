import type { Settings } from '../config/settings.js';
import { createLogger } from '../logger.js';
import { playgroundRefusal } from './playground-mode.js';
import { NoRedisForPlayground, redisForPlayground } from './playground-redis.js';
import { startPlayground } from './start-playground.js';

/**
 * `shipgate playground` (and `shipgate start` with no Slack variables): starts the
 * playground on PORT and stops it, with its own Redis if it started one, on SIGTERM or
 * SIGINT. Answers the one line to print, or why it cannot start.
 */
export async function runPlayground(env: Readonly<Record<string, string | undefined>>, settings: Settings, why: 'asked' | 'no-slack'): Promise<{ ok: true; line: string } | { ok: false; problem: string }> {
  const refusal = playgroundRefusal(env);
  if (refusal) return { ok: false, problem: refusal };
  // The page is the interface here; the JSON log speaks up only for problems unless asked.
  const log = createLogger(env.LOG_LEVEL ? settings.logLevel : 'warn');
  let redis;
  try {
    redis = await redisForPlayground(settings.redisUrl, Boolean(env.REDIS_URL));
  } catch (error) {
    if (error instanceof NoRedisForPlayground) return { ok: false, problem: error.message };
    throw error;
  }
  let playground;
  try {
    playground = await startPlayground({ port: settings.port, redisUrl: redis.url, log });
  } catch (error) {
    redis.stop();
    if ((error as { code?: string }).code === 'EADDRINUSE') return { ok: false, problem: `Port ${settings.port} is taken; start the playground on another one with PORT=3001.` };
    throw error;
  }
  const stop = async () => {
    // Whatever hangs in closing, the playground ends: it keeps nothing worth waiting for.
    setTimeout(() => process.exit(0), 10_000).unref();
    await playground.close();
    redis.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  return { ok: true, line: `${why === 'no-slack' ? 'No Slack variables set, so Shipgate runs as a playground' : 'Shipgate playground'} (nothing reaches Slack or a real deployment)${redis.note}: http://localhost:${playground.port}/playground` };
}
