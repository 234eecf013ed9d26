import type { AuditFact, Effect } from './decision.js';
import type { EnvironmentPolicy } from './policy.js';
import type { Instant, Promotion } from './promotion.js';
import { readiness } from './readiness.js';

/**
 * Moves a promotion whose conditions all hold into `deploying`, in the same step as
 * the change that satisfied them; otherwise returns it unchanged.
 */
export function startIfReady(p: Promotion, env: EnvironmentPolicy, now: Instant): { next: Promotion; audit: AuditFact[]; effects: Effect[] } {
  if (!readiness(p, env, now).ready) return { next: p, audit: [], effects: [] };
  const next: Promotion = { ...p, state: 'deploying', deployment: { startedAt: now, finishedAt: null, error: null } };
  return {
    next,
    audit: [{ type: 'deploy_started', actor: 'shipgate', detail: { version: p.version, previous_version: p.previousVersion } }],
    effects: [{ type: 'deploy' }, { type: 'note', text: `Deploying ${p.app} ${p.version} to ${p.environment}…` }],
  };
}
