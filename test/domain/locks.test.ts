import { describe, expect, it } from 'vitest';
import { decideApproval } from '../../src/domain/approvals.js';
import type { Decision } from '../../src/domain/decision.js';
import { decideLock, decideUnlock, heldBack, lockFor, type Lock } from '../../src/domain/lock.js';
import type { Promotion } from '../../src/domain/promotion.js';
import { readiness } from '../../src/domain/readiness.js';
import { decidePromotionRequest, decideRollbackRequest } from '../../src/domain/request.js';
import { decideWindowCheck } from '../../src/domain/schedule.js';
import { parsePromoteCommand } from '../../src/slack/parse-command.js';
import { approvals, environment, NOW, policy, promotion, snapshot } from './fixtures.js';

const lock = (overrides: Partial<Lock> = {}): Lock => ({ environment: 'production', app: null, owner: 'URITA', reason: 'incident in checkout', at: NOW - 60_000, ...overrides });
const production = (locks: Lock[] = []) => environment('production', { from: 'staging', approvals: approvals({ required: 2, approvers: ['S0REL'] }), locks });
const rel = (user: string) => ({ user, memberOf: ['S0REL'] });
const next = (d: Decision): Promotion => {
  if (d.kind !== 'accept') throw new Error(`expected accept, got ${d.kind}: ${'reason' in d ? d.reason : ''}`);
  return d.next;
};
const ask = (requester: string) => ({ id: 'sg-9', app: 'web', version: '1.4.2', environment: 'production', reason: 'because', requester, requesterMemberOf: [], now: NOW });

describe('locking an environment', () => {
  it('lets an approver of the environment lock it, refuses anyone else with an audited sentence', () => {
    const taken = decideLock({ environment: 'production', app: null, user: 'URITA', memberOf: ['S0REL'], reason: 'incident', now: NOW }, policy(), []);
    expect(taken).toMatchObject({ kind: 'accept', locks: [{ owner: 'URITA', reason: 'incident', app: null, at: NOW }], audit: { type: 'locked', actor: 'URITA' } });
    const refused = decideLock({ environment: 'production', app: null, user: 'UMALLORY', memberOf: [], reason: 'because', now: NOW }, policy(), []);
    expect(refused).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/^Only an approver of production can lock it\. Approvers: /) as string, audit: { type: 'lock_refused', actor: 'UMALLORY' } });
    const stranger = decideUnlock({ environment: 'production', app: null, user: 'UMALLORY', memberOf: [], now: NOW }, policy(), [lock()]);
    expect(stranger).toMatchObject({ kind: 'refuse', audit: { type: 'unlock_refused' } });
  });

  it('asks for a reason, refuses a second lock of the same scope, and says when there is nothing to unlock', () => {
    const base = { environment: 'production', app: null, user: 'URAJ', memberOf: ['S0REL'], now: NOW };
    expect(decideLock({ ...base, reason: ' ' }, policy(), [])).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/Say why/) as string });
    expect(decideLock({ ...base, reason: 'again' }, policy(), [lock()])).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/already locked by <@URITA>: incident in checkout/) as string });
    expect(decideUnlock({ ...base, app: 'web' }, policy(), [lock()])).toMatchObject({ kind: 'refuse', reason: 'web in production is not locked.' });
    expect(decideUnlock(base, policy(), [lock()])).toMatchObject({ kind: 'accept', locks: [], lifted: { owner: 'URITA' }, audit: { type: 'unlocked', actor: 'URAJ' } });
  });

  it('holds back promotions of anyone but the owner, and never a rollback', () => {
    expect(lockFor(promotion(), [lock()])).toMatchObject({ owner: 'URITA' });
    expect(lockFor(promotion({ requester: 'URITA' }), [lock()])).toBeNull();
    expect(lockFor(promotion({ kind: 'rollback' }), [lock()])).toBeNull();
    expect(lockFor(promotion(), [lock({ app: 'api' })])).toBeNull();
    expect(readiness(promotion({ approvals: [{ user: 'URAJ', at: NOW }, { user: 'UROB', at: NOW }] }), production([lock()]), NOW)).toMatchObject({
      ready: false,
      waitingFor: ['the lock on production (by <@URITA>: incident in checkout)'],
    });
  });
});

describe('promotions under a lock', () => {
  it('refuses a new request with who locked it, why and how to unlock; the owner and rollbacks pass', () => {
    const locked = snapshot({ staging: '1.4.2', production: '1.4.1' }, [], null, { locks: [lock()] });
    const refused = decidePromotionRequest(ask('UALICE'), policy(), locked);
    expect(refused).toMatchObject({ kind: 'refuse' });
    expect(refused.kind === 'refuse' && refused.reason).toMatch(/^production is locked by <@URITA>: incident in checkout\. .*rollbacks still run.*`\/promote unlock production`/);
    expect(decidePromotionRequest(ask('URITA'), policy(), locked).kind).toBe('accept');
    const rollback = decideRollbackRequest({ ...ask('UOMAR'), version: null, requesterMemberOf: ['S0ONCALL'] }, policy(), snapshot({ production: '1.4.1' }, ['1.4.1', '1.4.0'], null, { locks: [lock()] }));
    expect(rollback.kind).toBe('accept');
  });

  it('keeps an approved promotion waiting for the lock, says so once, and deploys it on the check after unlock', () => {
    const once = next(decideApproval(promotion(), rel('URAJ'), production([lock()]), NOW));
    const d = decideApproval(once, rel('UROB'), production([lock()]), NOW + 1);
    const held = next(d);
    expect(held).toMatchObject({ state: 'awaiting_approval', heldBy: { owner: 'URITA' } });
    expect(d.kind === 'accept' && d.audit.map((a) => a.type)).toEqual(['approved', 'held_by_lock']);
    expect(d.kind === 'accept' && d.effects.map((e) => e.type)).not.toContain('deploy');
    expect(decideWindowCheck(held, production([lock()]), NOW + 2)).toMatchObject({ kind: 'unchanged' });
    const lifted = decideWindowCheck(held, production([]), NOW + 3);
    expect(next(lifted).state).toBe('deploying');
    expect(next(lifted).heldBy).toBeUndefined();
    expect(lifted.kind === 'accept' && lifted.effects.map((e) => e.type)).toContain('deploy');
  });

  it('lists what the lifted lock held back in its scope, oldest request first', () => {
    const a = promotion({ id: 'sg-2', requestedAt: NOW });
    const b = promotion({ id: 'sg-1', app: 'api', requestedAt: NOW - 5 });
    const elsewhere = promotion({ id: 'sg-3', environment: 'staging' });
    const deploying = promotion({ id: 'sg-4', state: 'deploying' });
    expect(heldBack(lock(), [a, b, elsewhere, deploying]).map((p) => p.id)).toEqual(['sg-1', 'sg-2']);
    expect(heldBack(lock({ app: 'web' }), [a, b]).map((p) => p.id)).toEqual(['sg-2']);
  });
});

describe('reading lock and unlock', () => {
  it('takes an environment, an optional app word and a reason', () => {
    expect(parsePromoteCommand('lock Production web checkout is down')).toEqual({ ok: true, value: { type: 'lock', environment: 'production', app: 'web', reason: 'web checkout is down' } });
    expect(parsePromoteCommand('unlock production')).toEqual({ ok: true, value: { type: 'unlock', environment: 'production', app: null } });
    expect(parsePromoteCommand('unlock production web')).toEqual({ ok: true, value: { type: 'unlock', environment: 'production', app: 'web' } });
    expect(parsePromoteCommand('unlock production web now')).toMatchObject({ ok: false, error: expect.stringMatching(/`unlock` takes an environment and an optional app/) as string });
    expect(parsePromoteCommand('lock')).toMatchObject({ ok: false });
  });
});
