import type { Redis } from 'ioredis';
import type { Promotion } from '../domain/promotion.js';
import type { DeployedVersion } from '../domain/request.js';
import type { Keys } from './keys.js';

export interface LedgerSnapshot {
  /** What runs, by `app environment`; absent: nothing deployed. */
  live: Map<string, DeployedVersion>;
  /** Promotions not in a final state. */
  active: Promotion[];
}

export const pairKey = (app: string, environment: string) => `${app} ${environment}`;

/**
 * Fills the live hash for ledgers it does not mirror yet (written before it existed, or
 * never deployed: `null`), from the ledgers themselves, and answers the values it wrote.
 * Atomic, like the commits that write a ledger and its mirror together, so it can never
 * put back an older entry; each ledger is copied once.
 */
const MIRROR_LEDGERS_LUA = `
local out = {}
for i = 2, #KEYS do
  local fields = redis.call('HMGET', KEYS[i], 'version', 'promotion', 'at')
  local value = 'null'
  if fields[1] then value = cjson.encode({ version = fields[1], promotionId = fields[2] or '', at = fields[3] or '0' }) end
  redis.call('HSET', KEYS[1], ARGV[i - 1], value)
  out[i - 1] = value
end
return out
`;

function results(raw: [Error | null, unknown][] | null): unknown[] {
  return (raw ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/**
 * The ledgers of the given apps and environments and the promotions still active, in at
 * most two round trips whatever the number of apps: one for the active index and the
 * live hash (one command for every ledger), one for the active records and any ledger
 * the live hash does not mirror yet (each skipped when there is none).
 */
export async function readLedgers(redis: Redis, keys: Keys, pairs: readonly (readonly [string, string])[]): Promise<LedgerSnapshot> {
  const fields = pairs.map(([app, env]) => pairKey(app, env));
  const first = redis.pipeline().zrange(keys.active, 0, -1);
  if (fields.length > 0) first.hmget(keys.live, ...fields);
  const [ids, mirrored = []] = results(await first.exec()) as [string[], (string | null)[]?];
  const values: (string | null)[] = [...mirrored];
  const unmirrored: number[] = [];
  for (let i = 0; i < fields.length; i++) if (values[i] == null) unmirrored.push(i);
  const second = redis.pipeline();
  if (unmirrored.length > 0) second.eval(MIRROR_LEDGERS_LUA, unmirrored.length + 1, keys.live, ...unmirrored.map((i) => keys.ledger(...pairs[i]!)), ...unmirrored.map((i) => fields[i]!));
  for (const id of ids) second.hget(keys.promotion(id), 'json');
  const answers = second.length > 0 ? results(await second.exec()) : [];
  const copied = unmirrored.length > 0 ? (answers.shift() as string[]) : [];
  unmirrored.forEach((pair, n) => (values[pair] = copied[n] ?? null));
  const live = new Map<string, DeployedVersion>();
  values.forEach((json, i) => {
    // The mirror script writes `at` as the ledger holds it, a string.
    const entry = json ? (JSON.parse(json) as { version: string; promotionId: string; at: number | string } | null) : null;
    if (entry) live.set(fields[i]!, { version: entry.version, promotionId: entry.promotionId, at: Number(entry.at) });
  });
  const active = answers.flatMap((json) => (typeof json === 'string' ? [JSON.parse(json) as Promotion] : []));
  return { live, active };
}
