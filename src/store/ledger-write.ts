import type { LedgerChange } from '../domain/decision.js';
import type { DeployedVersion } from '../domain/request.js';
import type { CommitPlan } from './commit-script.js';
import type { Keys } from './keys.js';
import { pairKey } from './ledger-read.js';

export const HISTORY_KEPT = 200;

/**
 * Adds a change of what runs in an environment to a commit: the ledger (and its mirror in
 * the live hash), its history, and the versions marked bad. Shared by promotions (a deployment) and drift (an adoption).
 */
export function writeLedger(plan: CommitPlan, keys: Keys, ledger: LedgerChange): void {
  const { app, environment, version, promotionId, at } = ledger;
  const entry: DeployedVersion = { version, promotionId, at };
  plan
    .op('HSET', keys.ledger(app, environment), 'version', version, 'promotion', promotionId, 'at', at)
    // Mirrored in the same commit, so a status of hundreds of apps reads one hash instead of a ledger each.
    .op('HSET', keys.live, pairKey(app, environment), JSON.stringify(entry))
    .op('LPUSH', keys.history(app, environment), JSON.stringify(entry))
    .op('LTRIM', keys.history(app, environment), 0, HISTORY_KEPT - 1)
    // A version deployed again (with --force-bad) is no longer the one a rollback undid.
    .op('HDEL', keys.bad(app, environment), version);
  for (const undone of ledger.markBad ?? []) plan.op('HSET', keys.bad(app, environment), undone, promotionId);
}

/** The ledger hash as read from Redis, or null when nothing was deployed. */
export function ledgerOf(h: Record<string, string>): DeployedVersion | null {
  return h.version ? { version: h.version, promotionId: h.promotion ?? '', at: Number(h.at) } : null;
}
