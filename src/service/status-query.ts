import { unknownApp, type Policy } from '../domain/policy.js';
import { isActive, type Promotion } from '../domain/promotion.js';
import type { AppStatus } from '../slack/views/status.js';
import { pairKey, type LedgerSnapshot } from '../store/ledger-read.js';

/** Reads the ledgers of these apps and environments and the active promotions, in a fixed number of round trips. */
export type LedgerReader = (pairs: (readonly [string, string])[]) => Promise<LedgerSnapshot>;

/** What runs where and what waits, for `/promote status` and App Home: one pipelined read for every app. */
export async function readStatus(policy: Policy, read: LedgerReader, app: string | null): Promise<{ ok: true; apps: AppStatus[] } | { ok: false; reason: string }> {
  const unknown = app === null ? null : unknownApp(policy, app);
  if (unknown) return { ok: false, reason: unknown };
  const names = app === null ? [...policy.apps.keys()] : [app];
  const environments = [...policy.environments.keys()];
  const snapshot = await read(names.flatMap((name) => environments.map((env) => [name, env] as const)));
  // Grouped once: with hundreds of apps, filtering every active promotion for each app and environment adds up.
  const waiting = new Map<string, Promotion[]>();
  for (const p of snapshot.active) {
    if (!isActive(p.state)) continue;
    const key = pairKey(p.app, p.environment);
    waiting.set(key, [...(waiting.get(key) ?? []), p]);
  }
  return {
    ok: true,
    apps: names.map((name) => ({
      app: name,
      environments: environments.map((env) => {
        const key = pairKey(name, env);
        return { name: env, live: snapshot.live.get(key) ?? null, waiting: waiting.get(key) ?? [] };
      }),
    })),
  };
}
