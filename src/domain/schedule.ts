import { accept, unchanged, type Decision } from './decision.js';
import type { EnvironmentPolicy } from './policy.js';
import type { Instant, Promotion } from './promotion.js';
import { startIfReady } from './deploy-start.js';
import { readiness } from './readiness.js';
import { reminderEffects } from './reminders.js';

/**
 * The moment a scheduled promotion's window should open: the calendar is asked again,
 * so a freeze added meanwhile still holds it back, and approvals that lapsed while it
 * waited send it back for approval.
 */
export function decideWindowCheck(p: Promotion, env: EnvironmentPolicy, now: Instant): Decision {
  if (p.state === 'awaiting_approval' && p.heldBy) return decideLockCheck(p, env, now);
  if (p.state !== 'scheduled') return unchanged(`Promotion ${p.id} is ${p.state}, not scheduled.`);
  const state = readiness(p, env, now);
  if (!state.approved) {
    const waiting: Promotion = { ...p, state: 'awaiting_approval', scheduledFor: null, approvalWaitSince: now };
    return accept(
      waiting,
      [{ type: 'approvals_lapsed', actor: 'shipgate', detail: { waiting_for: state.waitingFor.join('; ') } }],
      [{ type: 'render' }, { type: 'note', text: 'Approvals lapsed while this promotion waited for its window; it needs approval again.' }, ...reminderEffects(waiting, env)],
    );
  }
  const started = startIfReady({ ...p, state: 'awaiting_approval' }, env, now);
  // The same window, and no new lapse to check for: nothing changed.
  if (started.next.state === 'scheduled' && started.next.scheduledFor === p.scheduledFor && started.effects.every((e) => e.type !== 'check-window' || e.at === p.scheduledFor)) {
    return unchanged('Still waiting for the same window.');
  }
  return accept(started.next, started.audit, [{ type: 'render' }, ...started.effects]);
}

/**
 * A lock that held this approved promotion back was lifted: it deploys if nothing else
 * holds it now (the calendar or another lock may still; approvals may have lapsed).
 */
function decideLockCheck(p: Promotion, env: EnvironmentPolicy, now: Instant): Decision {
  const state = readiness(p, env, now);
  if (!state.approved) {
    const { heldBy: _lifted, ...rest } = p;
    const waiting: Promotion = { ...rest, approvalWaitSince: now };
    return accept(waiting, [{ type: 'approvals_lapsed', actor: 'shipgate', detail: { waiting_for: state.waitingFor.join('; ') } }], [
      { type: 'render' },
      { type: 'note', text: 'Approvals lapsed while this promotion waited for the lock; it needs approval again.' },
      ...reminderEffects(waiting, env),
    ]);
  }
  const started = startIfReady(p, env, now);
  if (started.next.state === 'awaiting_approval' && started.audit.length === 0) return unchanged('Still waiting for a lock.');
  return accept(started.next, started.audit, [{ type: 'render' }, ...started.effects]);
}
