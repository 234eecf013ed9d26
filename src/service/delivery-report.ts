import type { Redis } from 'ioredis';
import { deliveryFigures, type DeliveryFigures } from '../domain/delivery-figures.js';
import type { Instant } from '../domain/promotion.js';
import { readDeliveryFacts } from '../store/delivery-facts.js';
import type { Keys } from '../store/keys.js';

/**
 * Promotions asked for this long before the window starts are read too: one scheduled
 * for a later calendar window, or blocked and re-run, can end inside the window.
 */
const READ_LAG_MS = 14 * 86_400_000;

export interface DeliverySource {
  redis: Redis;
  keys: Keys;
  /** Every configured app and environment. */
  pairs: (readonly [string, string])[];
  failureWindowMs: number;
  resolveWithinMs: number;
  now: () => Instant;
}

/** The delivery figures of the last `windowMs`, read from Redis. */
export async function readFigures(source: DeliverySource, windowMs: number): Promise<DeliveryFigures> {
  const now = source.now();
  const facts = await readDeliveryFacts(source.redis, source.keys, source.pairs, now - windowMs - READ_LAG_MS);
  return deliveryFigures(source.pairs, facts, { now, windowMs, failureWindowMs: source.failureWindowMs, resolveWithinMs: source.resolveWithinMs });
}
