import type { SideChange } from './decision.js';
import type { Instant, Promotion } from './promotion.js';

/**
 * A waiting promotion set aside by a newer request for the same app and environment:
 * a rollback (which takes priority) or a new version replacing a blocked one.
 */
export function supersede(waiting: Promotion, by: Pick<Promotion, 'id' | 'kind' | 'version' | 'requester'>, now: Instant): SideChange {
  const what = by.kind === 'rollback' ? `the rollback to ${by.version}` : `${by.version}`;
  return {
    next: { ...waiting, state: 'superseded', scheduledFor: null, ending: { user: by.requester, at: now, reason: `superseded by ${by.id} (${what})` } },
    audit: [{ type: 'superseded', actor: by.requester, detail: { by: by.id, by_kind: by.kind, by_version: by.version, was: waiting.state } }],
    effects: [{ type: 'render' }, { type: 'note', text: `Set aside: ${by.id} (${what}) takes over ${waiting.environment}.` }],
  };
}
