import type { CustomRoute } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { Metrics } from '../metrics.js';

function send(res: Parameters<CustomRoute['handler']>[1], status: number, body: string, type = 'text/plain; charset=utf-8') {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

/** /healthz: the process answers. /readyz: Redis answers and will not evict queue keys. /metrics: Prometheus text. */
export function healthRoutes(redis: Redis, metrics: Metrics): CustomRoute[] {
  return [
    { path: '/healthz', method: ['GET'], handler: (_req, res) => send(res, 200, 'ok\n') },
    {
      path: '/readyz',
      method: ['GET'],
      handler: async (_req, res) => {
        try {
          await redis.ping();
          const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as string[];
          if (policy !== 'noeviction') return send(res, 503, `not ready: Redis maxmemory-policy is ${policy}; queues need noeviction (CONFIG SET maxmemory-policy noeviction)\n`);
          send(res, 200, 'ready\n');
        } catch (error) {
          send(res, 503, `not ready: Redis does not answer (${(error as Error).message})\n`);
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
