import { describe, expect, it } from 'vitest';
import { judgeRedis } from '../../src/queue/redis-health.js';

describe('judgeRedis', () => {
  const durable = { aof: true, rdb: false };

  it('has nothing to say about a Redis that keeps queue keys and persists them', () => {
    expect(judgeRedis({ evictionPolicy: 'noeviction', persistence: durable, configRefused: null })).toEqual({ problem: null, warnings: [] });
    expect(judgeRedis({ evictionPolicy: 'noeviction', persistence: { aof: false, rdb: true }, configRefused: null })).toEqual({ problem: null, warnings: [] });
  });

  it('refuses an evicting Redis and still warns about missing persistence', () => {
    const verdict = judgeRedis({ evictionPolicy: 'volatile-lru', persistence: { aof: false, rdb: false }, configRefused: null });
    expect(verdict.problem).toBe('Redis maxmemory-policy is volatile-lru; queues need noeviction (CONFIG SET maxmemory-policy noeviction)');
    expect(verdict.warnings).toEqual([expect.stringMatching(/^Redis has neither AOF nor RDB persistence/)]);
  });

  it('says what could not be checked when CONFIG is refused, and refuses nothing', () => {
    const verdict = judgeRedis({ evictionPolicy: null, persistence: null, configRefused: "ERR unknown command 'CONFIG'" });
    expect(verdict.problem).toBeNull();
    expect(verdict.warnings).toEqual([expect.stringContaining("Redis refuses CONFIG (ERR unknown command 'CONFIG'), so the eviction policy could not be read and persistence could not be checked")]);
  });

  it('says which setting Redis did not report', () => {
    expect(judgeRedis({ evictionPolicy: null, persistence: durable, configRefused: null }).warnings).toEqual([expect.stringMatching(/eviction policy could not be read/)]);
    expect(judgeRedis({ evictionPolicy: 'noeviction', persistence: null, configRefused: null }).warnings).toEqual([expect.stringMatching(/persistence could not be checked/)]);
  });
});
