import type { Redis } from 'ioredis';
import type { AlertRecord } from '../domain/alerts.js';
import type { DeliveryFacts } from '../domain/delivery-figures.js';
import type { Instant, Promotion } from '../domain/promotion.js';
import type { Keys } from './keys.js';

function parsed<T>(results: [Error | null, unknown][] | null): T[] {
  return (results ?? []).flatMap(([error, json]) => {
    if (error) throw error;
    return typeof json === 'string' ? [JSON.parse(json) as T] : [];
  });
}

/**
 * The promotions asked for since `since`, the promotions still pending, and the alert
 * firings of the given apps and environments since `since`, in two pipelined round
 * trips: one for the indexes, one HGET per record. The cost grows with the promotions
 * and alerts of the window (about 3 kB of JSON each).
 */
export async function readDeliveryFacts(redis: Redis, keys: Keys, pairs: readonly (readonly [string, string])[], since: Instant): Promise<DeliveryFacts> {
  const indexes = redis.pipeline().zrangebyscore(keys.all, since, '+inf').zrange(keys.active, 0, -1);
  for (const [app, env] of pairs) indexes.zrangebyscore(keys.alerts(app, env), since, '+inf');
  const [recent, active, ...alertKeys] = ((await indexes.exec()) ?? []).map(([error, ids]) => {
    if (error) throw error;
    return ids as string[];
  });
  const recentIds = recent ?? [];
  const recentSet = new Set(recentIds);
  const activeOnly = (active ?? []).filter((id) => !recentSet.has(id));
  const records = redis.pipeline();
  for (const id of [...recentIds, ...activeOnly]) records.hget(keys.promotion(id), 'json');
  const alerts = alertKeys.flat();
  for (const key of alerts) records.hget(keys.alert(key), 'json');
  const results = (await records.exec()) ?? [];
  const promotions = parsed<Promotion>(results.slice(0, recentIds.length));
  const older = parsed<Promotion>(results.slice(recentIds.length, recentIds.length + activeOnly.length));
  const activeSet = new Set(active);
  return {
    promotions,
    active: [...promotions.filter((p) => activeSet.has(p.id)), ...older],
    alerts: parsed<AlertRecord>(results.slice(recentIds.length + activeOnly.length)),
  };
}
