import type { Redis } from 'ioredis';
import type { Instant } from '../domain/promotion.js';
import type { Keys } from './keys.js';

export interface Verification {
  at: Instant;
  ok: boolean;
}

/** Kept in Redis so that every replica's /metrics says when the audit log was last verified, and how it went. */
export async function recordVerification(redis: Redis, keys: Keys, verification: Verification): Promise<void> {
  await redis.hset(keys.auditVerified, 'at', verification.at, 'ok', verification.ok ? '1' : '0');
}

export async function lastVerification(redis: Redis, keys: Keys): Promise<Verification | null> {
  const [at, ok] = await redis.hmget(keys.auditVerified, 'at', 'ok');
  return at ? { at: Number(at), ok: ok === '1' } : null;
}
