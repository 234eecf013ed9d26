import type { CustomRoute } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { Metrics } from '../metrics.js';
import { judgeRedis, readRedisFacts, RedisSilent, within } from '../queue/redis-health.js';

/** A load balancer gives up on a probe after a few seconds; /readyz answers well before. */
const READY_TIMEOUT_MS = 1_000;

function send(res: Parameters<CustomRoute['handler']>[1], status: number, body: string, type = 'text/plain; charset=utf-8') {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

/**
 * /healthz: the process answers. /readyz: Redis answers within a second and will not evict
 * queue keys; what an operator should still fix (no persistence, CONFIG refused) is said in
 * the body of a 200. /metrics: Prometheus text.
 */
export function healthRoutes(redis: Redis, metrics: Metrics): CustomRoute[] {
  return [
    { path: '/healthz', method: ['GET'], handler: (_req, res) => send(res, 200, 'ok\n') },
    {
      path: '/readyz',
      method: ['GET'],
      handler: async (_req, res) => {
        try {
          const { problem, warnings } = judgeRedis(await within(READY_TIMEOUT_MS, readRedisFacts(redis)));
          if (problem) return send(res, 503, `not ready: ${problem}\n`);
          send(res, 200, warnings.length > 0 ? `ready (warning: ${warnings.join('; ')})\n` : 'ready\n');
        } catch (error) {
          send(res, 503, error instanceof RedisSilent ? `not ready: ${error.message}\n` : `not ready: Redis does not answer (${(error as Error).message})\n`);
        }
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: async (_req, res) => send(res, 200, await metrics.registry.metrics(), metrics.registry.contentType),
    },
  ];
}
