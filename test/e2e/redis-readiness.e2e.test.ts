import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnShipgate } from '../support/child-shipgate.js';
import { eventually } from '../support/eventually.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';
import { SIGNING_SECRET, startShipgate, type Harness } from '../support/start-shipgate.js';
import { startServe, type Running } from '../../src/runtime.js';

const NO_PERSISTENCE = /^ready \(warning: Redis has neither AOF nor RDB persistence; a restart loses every promotion, lock, queued job and the audit log \(run it with appendonly yes\)\)\n$/;
const CONFIG_REFUSED = /Redis refuses CONFIG \(NOPERM[^)]*config[^)]*\), so the eviction policy could not be read and persistence could not be checked/;

/** A TCP server on loopback that accepts connections and never answers: a frozen Redis. */
async function frozenRedis(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function readyz(base: string) {
  const answer = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) });
  return { status: answer.status, body: await answer.text() };
}

/** `shipgate serve` in a child process against REDIS_URL, and its log once it listens. */
async function serveAgainst(h: Harness, redisUrl: string) {
  const child = spawnShipgate(['serve'], { ...h.shipgate.cliEnv(), REDIS_URL: redisUrl, SLACK_SIGNING_SECRET: SIGNING_SECRET, PORT: '0', LOG_LEVEL: 'info' });
  try {
    const lines = await eventually(() => {
      const logged = child.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string; port?: number });
      if (!logged.some((l) => l.msg === 'shipgate serve is listening')) throw new Error(`shipgate serve has not started:\n${child.output()}`);
      return logged;
    });
    return lines.filter((l) => l.level === 40).map((l) => l.msg);
  } finally {
    child.kill('SIGTERM');
    await child.exited;
  }
}

describe('/readyz and the start of shipgate serve', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startShipgate({ noWorker: true });
  });
  afterAll(async () => h.close());

  it('stays ready on a Redis without persistence, and says so in /readyz and in the log at start', async () => {
    expect(await h.shipgate.redis.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    expect(await h.shipgate.redis.config('GET', 'save')).toEqual(['save', '']);
    await eventually(async () => expect(await readyz(h.shipgate.receivers[0]!)).toMatchObject({ status: 200, body: expect.stringMatching(NO_PERSISTENCE) }));
    expect(await serveAgainst(h, TEST_REDIS_URL)).toContainEqual(expect.stringMatching(/Redis has neither AOF nor RDB persistence; a restart loses/));
  });

  it('says plainly ready once RDB snapshots are scheduled', async () => {
    await h.shipgate.redis.config('SET', 'save', '3600 1');
    try {
      await eventually(async () => expect(await readyz(h.shipgate.receivers[0]!)).toEqual({ status: 200, body: 'ready\n' }));
    } finally {
      await h.shipgate.redis.config('SET', 'save', '');
    }
  });

  describe('on a Redis that refuses CONFIG, as managed services do', () => {
    const user = `shipgate-noconfig-${randomBytes(4).toString('hex')}`;
    const url = TEST_REDIS_URL.replace('redis://', `redis://${user}:pw-${user}@`);
    beforeAll(async () => {
      await h.shipgate.redis.call('ACL', 'SETUSER', user, 'on', `>pw-${user}`, '~*', '&*', '+@all', '-config');
    });
    afterAll(async () => {
      await h.shipgate.redis.call('ACL', 'DELUSER', user);
    });

    it('stays ready, and says the eviction policy and persistence could not be checked', async () => {
      const restricted = new Redis(url);
      try {
        await expect(restricted.config('GET', 'maxmemory-policy')).rejects.toThrow(/NOPERM/);
      } finally {
        restricted.disconnect();
      }
      const serve = await startServe({ ...h.shipgate.runtimeOptions, redisUrl: url }, 0);
      try {
        const answer = await eventually(async () => {
          const r = await readyz(`http://127.0.0.1:${serve.port}`);
          expect(r.status).toBe(200);
          return r;
        });
        expect(answer.body).toMatch(/^ready \(warning: /);
        expect(answer.body).toMatch(CONFIG_REFUSED);
        expect(answer.body).toMatch(/make sure it runs with maxmemory-policy noeviction and appendonly yes/);
      } finally {
        await serve.close();
      }
    });

    it('starts, and says at start that the eviction policy could not be read', async () => {
      const warnings = await serveAgainst(h, url);
      expect(warnings).toContainEqual(expect.stringMatching(CONFIG_REFUSED));
      expect(warnings.join('\n')).not.toContain(`pw-${user}`);
    });
  });

  describe('on a Redis that accepts connections and never answers', () => {
    let frozen: Awaited<ReturnType<typeof frozenRedis>>;
    let serve: Running;
    beforeAll(async () => {
      frozen = await frozenRedis();
      serve = await startServe({ ...h.shipgate.runtimeOptions, redisUrl: frozen.url }, 0);
    });
    afterAll(async () => {
      await frozen.close();
      await serve.close();
    });

    it('answers /readyz with 503 and the reason instead of hanging', async () => {
      expect(await readyz(`http://127.0.0.1:${serve.port}`)).toEqual({
        status: 503,
        body: 'not ready: Redis did not answer within 1 s; it may be paused, overloaded or blocked by a long command\n',
      });
    });

    it('refuses to start with one clear message instead of hanging', async () => {
      const child = spawnShipgate(['serve'], { ...h.shipgate.cliEnv(), REDIS_URL: frozen.url, SLACK_SIGNING_SECRET: SIGNING_SECRET, PORT: '0' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      try {
        expect(await child.exited).toBe(2);
        expect(child.output()).toMatch(/Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(Redis did not answer within 3 s; .*\)\. Start it/);
      } finally {
        clearTimeout(timer);
      }
    });
  });
});
