import { testPrefix } from '../support/test-prefix.js';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../src/queue/outbox-relay.js';
import type { OutboxEntry } from '../../src/store/outbox.js';
import { eventually } from '../support/eventually.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';

const redis = new Redis(TEST_REDIS_URL);
afterAll(() => redis.disconnect());
const log = pino({ level: 'silent' });
const entry = (index: number): OutboxEntry => ({ kind: 'promotion', promotionId: 'sg-1', rev: 1, index, effect: { type: 'render' } });

describe('the outbox relay', () => {
  it('delivers entries in order and deletes them once delivered', async () => {
    const key = `${testPrefix('relay')}:outbox`;
    const delivered: number[] = [];
    const relay = new OutboxRelay(redis.duplicate(), key, 'a', async (e) => void delivered.push(e.index), log, { blockMs: 100, reclaimAfterMs: 200 });
    await relay.start();
    for (let i = 0; i < 5; i++) await redis.xadd(key, '*', 'e', JSON.stringify(entry(i)));
    await eventually(() => expect(delivered).toEqual([0, 1, 2, 3, 4]));
    await eventually(async () => expect(await redis.xlen(key)).toBe(0));
    await relay.stop();
    await redis.del(key);
  });

  it('takes over what a relay read and never acknowledged (it died), and retries a delivery that failed', async () => {
    const key = `${testPrefix('relay')}:outbox`;
    await redis.xgroup('CREATE', key, 'relay', '0', 'MKSTREAM');
    await redis.xadd(key, '*', 'e', JSON.stringify(entry(7)));
    // A relay reads the entry, then its process dies before queueing it.
    await redis.xreadgroup('GROUP', 'relay', 'dead', 'COUNT', 10, 'STREAMS', key, '>');
    await redis.xadd(key, '*', 'e', JSON.stringify(entry(8)));

    let failOnce = true;
    const delivered: number[] = [];
    const relay = new OutboxRelay(
      redis.duplicate(),
      key,
      'b',
      async (e) => {
        if (e.index === 8 && failOnce) {
          failOnce = false;
          throw new Error('Redis hiccup');
        }
        delivered.push(e.index);
      },
      log,
      { blockMs: 100, reclaimAfterMs: 300 },
    );
    await relay.start();
    await eventually(() => expect([...delivered].sort()).toEqual([7, 8]), { timeoutMs: 5_000 });
    await eventually(async () => expect(await redis.xlen(key)).toBe(0));
    await relay.stop();
    await redis.del(key);
  });

  it('sets aside an entry that fails every delivery, with its error, and goes on with the next', async () => {
    const key = `${testPrefix('relay')}:outbox`;
    const delivered: number[] = [];
    const relay = new OutboxRelay(
      redis.duplicate(),
      key,
      'c',
      async (e) => {
        if (e.index === 1) throw new Error('job data refused');
        delivered.push(e.index);
      },
      log,
      { blockMs: 50, reclaimAfterMs: 100, maxDeliveries: 3 },
    );
    await relay.start();
    for (let i = 0; i < 3; i++) await redis.xadd(key, '*', 'e', JSON.stringify(entry(i)));
    await redis.xadd(key, '*', 'e', '{not json');
    await eventually(async () => expect(await redis.xlen(`${key}:dead`)).toBe(2), { timeoutMs: 5_000 });
    expect(delivered).toEqual([0, 2]);
    const dead = (await redis.xrange(`${key}:dead`, '-', '+')).map(([, fields]) => fields);
    expect(dead[0]).toEqual(expect.arrayContaining(['error', 'job data refused', 'e', JSON.stringify(entry(1))]));
    expect(dead[1]).toEqual(expect.arrayContaining(['e', '{not json']));
    await eventually(async () => expect(await redis.xlen(key)).toBe(0));
    expect(await redis.xpending(key, 'relay')).toEqual([0, null, null, null]);
    await relay.stop();
    await redis.del(key, `${key}:dead`);
  });
});
