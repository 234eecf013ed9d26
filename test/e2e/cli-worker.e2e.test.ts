import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { spawnShipgate, writeTempFile } from '../support/child-shipgate.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';
import { AUDIT_KEY, BOT_TOKEN } from '../support/start-shipgate.js';
import { deleteKeysUnder, testPrefix } from '../support/test-prefix.js';

describe('shipgate worker', () => {
  it('serves /healthz, /readyz and /metrics on WORKER_PORT, so a worker container has probes and metrics', async () => {
    const prefix = testPrefix('worker');
    const config = writeTempFile(
      'shipgate.yml',
      `slack: { channel: C0DEPLOYS }\napps: { web: { executor: t } }\nenvironments: { development: {} }\nexecutors: { t: { type: webhook, url: "http://127.0.0.1:9/x", secret: "0123456789abcdef" } }\nqueue: { prefix: "${prefix}" }\n`,
    );
    const worker = spawnShipgate(['worker'], { SLACK_BOT_TOKEN: BOT_TOKEN, SHIPGATE_AUDIT_KEY: AUDIT_KEY, SHIPGATE_CONFIG: config, REDIS_URL: TEST_REDIS_URL, WORKER_PORT: '0', LOG_LEVEL: 'info' });
    try {
      const port = await eventually(
        () => {
          const line = worker.output().split('\n').find((l) => l.includes('shipgate worker is running'));
          if (!line) throw new Error(`the worker has not started yet:\n${worker.output()}`);
          return (JSON.parse(line) as { port: number }).port;
        },
        { timeoutMs: 20_000 },
      );
      const get = async (path: string) => {
        const response = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
      };
      expect(await get('/healthz')).toEqual({ status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' });
      expect(await get('/readyz')).toMatchObject({ status: 200, body: expect.stringMatching(/^ready/) });
      const metrics = await get('/metrics');
      expect(metrics).toMatchObject({ status: 200, type: expect.stringMatching(/^text\/plain; version=0\.0\.4/) });
      expect(metrics.body).toMatch(/^shipgate_process_cpu_user_seconds_total /m);
      expect((await get('/slack/events')).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`, { method: 'POST' })).status).toBe(405);
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
      const redis = new Redis(TEST_REDIS_URL);
      await deleteKeysUnder(redis, prefix);
      redis.disconnect();
    }
  });
});
