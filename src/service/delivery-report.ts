import type { Redis } from 'ioredis';
import { deliveryFigures, type DeliveryFacts, type DeliveryFigures } from '../domain/delivery-figures.js';
import type { Instant } from '../domain/promotion.js';
import { unknownApp, unknownEnvironment, type Policy } from '../domain/policy.js';
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
  return (await readFactsAndFigures(source, windowMs)).figures;
}

/** The same figures with the facts they came from (App Home also shows the last rollback), and the instant they were computed at. */
export async function readFactsAndFigures(source: DeliverySource, windowMs: number): Promise<{ now: Instant; facts: DeliveryFacts; figures: DeliveryFigures }> {
  const now = source.now();
  const facts = await readDeliveryFacts(source.redis, source.keys, source.pairs, now - windowMs - READ_LAG_MS);
  return { now, facts, figures: deliveryFigures(source.pairs, facts, { now, windowMs, failureWindowMs: source.failureWindowMs, resolveWithinMs: source.resolveWithinMs }) };
}

/** `report [APP] [ENV]`: two names are an app and an environment; one is whichever the configuration knows it as. */
export function reportScope(policy: Policy, names: string[]): { ok: true; app: string | null; environment: string | null } | { ok: false; reason: string } {
  const [first, second] = names;
  if (first === undefined) return { ok: true, app: null, environment: null };
  if (second !== undefined) {
    const problem = unknownApp(policy, first) ?? unknownEnvironment(policy, second);
    return problem ? { ok: false, reason: problem } : { ok: true, app: first, environment: second };
  }
  if (policy.apps.has(first)) return { ok: true, app: first, environment: null };
  if (policy.environments.has(first)) return { ok: true, app: null, environment: first };
  return { ok: false, reason: `There is no app or environment called \`${first}\`. Apps: ${[...policy.apps.keys()].join(', ')}; environments: ${[...policy.environments.keys()].join(', ')}.` };
}
