import type { Redis } from 'ioredis';
import type { Promotion } from '../domain/promotion.js';
import type { DeployedVersion } from '../domain/request.js';
import type { Keys } from './keys.js';
import { ledgerOf } from './ledger-write.js';

export interface LedgerSnapshot {
  /** What runs, by `app environment`; absent: nothing deployed. */
  live: Map<string, DeployedVersion>;
  /** Promotions not in a final state. */
  active: Promotion[];
}

export const pairKey = (app: string, environment: string) => `${app} ${environment}`;

/**
 * The ledgers of the given apps and environments and the promotions still active, in at
 * most two pipelined round trips whatever the number of apps: one for the ledgers and the
 * active index, one for the active records (skipped when none).
 */
export async function readLedgers(redis: Redis, keys: Keys, pairs: readonly (readonly [string, string])[]): Promise<LedgerSnapshot> {
  const first = redis.pipeline().zrange(keys.active, 0, -1);
  for (const [app, env] of pairs) first.hgetall(keys.ledger(app, env));
  const [ids, ...ledgers] = ((await first.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  const live = new Map<string, DeployedVersion>();
  pairs.forEach(([app, env], i) => {
    const deployed = ledgerOf((ledgers[i] ?? {}) as Record<string, string>);
    if (deployed) live.set(pairKey(app, env), deployed);
  });
  const activeIds = (ids ?? []) as string[];
  if (activeIds.length === 0) return { live, active: [] };
  const records = redis.pipeline();
  for (const id of activeIds) records.hget(keys.promotion(id), 'json');
  const active = ((await records.exec()) ?? []).flatMap(([error, json]) => {
    if (error) throw error;
    return typeof json === 'string' ? [JSON.parse(json) as Promotion] : [];
  });
  return { live, active };
}
