import { unknownApp, type Policy } from '../domain/policy.js';
import { isActive } from '../domain/promotion.js';
import type { AppStatus } from '../slack/views/status.js';
import type { PromotionRepository } from './ports.js';

/** What runs where and what waits, for `/promote status` and App Home. */
export async function readStatus(policy: Policy, repository: PromotionRepository, app: string | null): Promise<{ ok: true; apps: AppStatus[] } | { ok: false; reason: string }> {
  const unknown = app === null ? null : unknownApp(policy, app);
  if (unknown) return { ok: false, reason: unknown };
  const active = (await repository.active()).filter((p) => isActive(p.state));
  const apps: AppStatus[] = [];
  for (const name of app === null ? [...policy.apps.keys()] : [app]) {
    const environments = [];
    for (const env of policy.environments.keys()) {
      environments.push({ name: env, live: await repository.current(name, env), waiting: active.filter((p) => p.app === name && p.environment === env) });
    }
    apps.push({ app: name, environments });
  }
  return { ok: true, apps };
}
