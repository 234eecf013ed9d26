import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { probeRedis } from '../queue/redis-connection.js';

/** The port of the Redis the playground starts for itself, away from a real one on 6379. */
export const PLAYGROUND_REDIS_PORT = 6390;

export interface PlaygroundRedis {
  url: string;
  /** What the playground says about it in its one start line. */
  note: string;
  stop(): void;
}

export class NoRedisForPlayground extends Error {}

function installedRedisServer(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  return found || null;
}

async function answers(url: string, attempts: number): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if ((await probeRedis(url)).ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * A Redis for the playground: the one at REDIS_URL (or 127.0.0.1:6379) when it answers;
 * else one already on port 6390; else a `redis-server` of its own on 6390, without
 * persistence, stopped with the playground. With none installed, says how to get one.
 */
export async function redisForPlayground(configuredUrl: string, explicitlyConfigured: boolean): Promise<PlaygroundRedis> {
  if (await answers(configuredUrl, 1)) return { url: configuredUrl, note: '', stop: () => undefined };
  const own = `redis://127.0.0.1:${PLAYGROUND_REDIS_PORT}`;
  const start = `Start one with: redis-server --port ${PLAYGROUND_REDIS_PORT} --save "" --appendonly no (apt-get install redis-server, or brew install redis), or set REDIS_URL.`;
  if (explicitlyConfigured) throw new NoRedisForPlayground(`The playground needs Redis, and none answers at REDIS_URL. ${start}`);
  if (await answers(own, 1)) return { url: own, note: ` (Redis on port ${PLAYGROUND_REDIS_PORT})`, stop: () => undefined };
  const binary = installedRedisServer();
  if (!binary) throw new NoRedisForPlayground(`The playground needs Redis, and none answers on 127.0.0.1:6379 or :${PLAYGROUND_REDIS_PORT}. ${start}`);
  const child: ChildProcess = spawn(binary, ['--port', String(PLAYGROUND_REDIS_PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', stop);
  if (!(await answers(own, 50))) {
    stop();
    throw new NoRedisForPlayground(`The playground started ${binary} on port ${PLAYGROUND_REDIS_PORT}, but it does not answer. ${start}`);
  }
  return { url: own, note: ` (started its own redis-server on port ${PLAYGROUND_REDIS_PORT})`, stop };
}
