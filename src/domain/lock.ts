import type { AuditFact } from './decision.js';
import { describeApprovers, isAuthorized, unknownApp, unknownEnvironment, type Policy } from './policy.js';
import type { Instant, Promotion } from './promotion.js';
import { escapeMrkdwn } from './slack-text.js';

/** Stop-the-line: no new deployment in ENV (or of APP in ENV) until the lock is lifted, except rollbacks and the owner's own. */
export interface Lock {
  environment: string;
  /** null: the whole environment. */
  app: string | null;
  owner: string;
  reason: string;
  at: Instant;
}

/** The lock that holds this promotion back, if any: rollbacks and the owner's promotions pass. */
export function lockFor(p: Pick<Promotion, 'kind' | 'app' | 'requester'>, locks: readonly Lock[]): Lock | null {
  if (p.kind === 'rollback') return null;
  return locks.find((l) => (l.app === null || l.app === p.app) && l.owner !== p.requester) ?? null;
}

export function lockScope(lock: Pick<Lock, 'environment' | 'app'>): string {
  return lock.app === null ? lock.environment : `${lock.app} in ${lock.environment}`;
}

function unlockCommand(lock: Pick<Lock, 'environment' | 'app'>): string {
  return `\`/promote unlock ${lock.environment}${lock.app ? ` ${lock.app}` : ''}\``;
}

/** "the lock on ENV (by @owner: reason)", as the promotion message and readiness say it. */
export function describeLock(lock: Lock): string {
  return `the lock on ${lockScope(lock)} (by <@${lock.owner}>: ${escapeMrkdwn(lock.reason)})`;
}

/** The refusal of a new promotion while a lock holds: who, why, and how to lift it. */
export function lockedRefusal(lock: Lock): string {
  return `${lockScope(lock)} is locked by <@${lock.owner}>: ${escapeMrkdwn(lock.reason)}. No new promotions start there until the lock is lifted; rollbacks still run. <@${lock.owner}> or another approver of ${lock.environment} can lift it with ${unlockCommand(lock)}.`;
}

export interface LockAsk {
  environment: string;
  app: string | null;
  user: string;
  /** Approver groups of the environment's policy that contain the user. */
  memberOf: readonly string[];
  membershipUnknown?: string | null;
  now: Instant;
}

/** What a lock or unlock commits: the environment's locks after it, its audit fact, the reply; or a refusal (audited when about who may). */
export type LockDecision =
  | { kind: 'accept'; locks: Lock[]; audit: AuditFact; reply: string; lifted: Lock | null }
  | { kind: 'refuse'; reason: string; audit?: AuditFact };

function authorize(ask: LockAsk, policy: Policy, verb: 'lock' | 'unlock'): LockDecision | null {
  const unknown = unknownEnvironment(policy, ask.environment) ?? (ask.app === null ? null : unknownApp(policy, ask.app));
  if (unknown) return { kind: 'refuse', reason: unknown };
  const approvals = policy.environments.get(ask.environment)!.approvals;
  if (isAuthorized(approvals, ask.user, ask.memberOf)) return null;
  const reason = ask.membershipUnknown ?? `Only an approver of ${ask.environment} can ${verb} it. Approvers: ${describeApprovers(approvals)}.`;
  return { kind: 'refuse', reason, audit: { type: `${verb}_refused`, actor: ask.user, detail: { app: ask.app, reason } } };
}

/** `/promote lock ENV [APP] reason…`: one lock per scope; locking a locked scope again is refused, not replaced. */
export function decideLock(ask: LockAsk & { reason: string }, policy: Policy, locks: readonly Lock[]): LockDecision {
  const refused = authorize(ask, policy, 'lock');
  if (refused) return refused;
  if (!ask.reason.trim()) return { kind: 'refuse', reason: `Say why ${ask.app ?? ask.environment} is locked: \`/promote lock ${ask.environment}${ask.app ? ` ${ask.app}` : ''} reason…\`` };
  const held = locks.find((l) => l.app === ask.app);
  if (held) return { kind: 'refuse', reason: `${lockScope(held)} is already locked by <@${held.owner}>: ${escapeMrkdwn(held.reason)}. Lift it first with ${unlockCommand(held)}.` };
  const lock: Lock = { environment: ask.environment, app: ask.app, owner: ask.user, reason: ask.reason.trim(), at: ask.now };
  return {
    kind: 'accept',
    locks: [...locks, lock],
    audit: { type: 'locked', actor: ask.user, detail: { app: ask.app, reason: lock.reason } },
    reply: `Locked ${lockScope(lock)}: new promotions wait or are refused until \`/promote unlock ${ask.environment}${ask.app ? ` ${ask.app}` : ''}\`; rollbacks still run.`,
    lifted: null,
  };
}

/** `/promote unlock ENV [APP]`: any approver of the environment may lift it; what waited for it is checked again. */
export function decideUnlock(ask: LockAsk, policy: Policy, locks: readonly Lock[]): LockDecision {
  const refused = authorize(ask, policy, 'unlock');
  if (refused) return refused;
  const held = locks.find((l) => l.app === ask.app);
  if (!held) return { kind: 'refuse', reason: `${ask.app === null ? ask.environment : `${ask.app} in ${ask.environment}`} is not locked.` };
  return {
    kind: 'accept',
    locks: locks.filter((l) => l !== held),
    audit: { type: 'unlocked', actor: ask.user, detail: { app: ask.app, owner: held.owner, reason: held.reason } },
    reply: `Unlocked ${lockScope(held)}; promotions that waited for it start now.`,
    lifted: held,
  };
}

/** Promotions the lifted lock held back, in the order they were asked for: each is checked again. */
export function heldBack(lifted: Lock, active: readonly Promotion[]): Promotion[] {
  return active
    .filter((p) => p.environment === lifted.environment && (lifted.app === null || p.app === lifted.app) && (p.state === 'awaiting_approval' || p.state === 'scheduled'))
    .sort((a, b) => a.requestedAt - b.requestedAt);
}
