import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideApproval, decideCancel, decideRejection, type Click } from '../../src/domain/approvals.js';
import type { Decision } from '../../src/domain/decision.js';
import { decideDeploymentFailed, decideDeploymentSucceeded } from '../../src/domain/deployment.js';
import { FINAL_STATES, type Promotion } from '../../src/domain/promotion.js';
import { approvals, environment, NOW, promotion } from './fixtures.js';

const production = environment('production', { from: 'staging', approvals: approvals({ required: 2, approvers: ['S0REL', 'ULEAD'], expireAfterMs: 4 * 3600_000 }) });
const rel = (user: string): Click => ({ user, memberOf: ['S0REL'] });
const nobody = (user: string): Click => ({ user, memberOf: [] });
const next = (d: Decision): Promotion => {
  if (d.kind !== 'accept') throw new Error(`expected accept, got ${d.kind}: ${'reason' in d ? d.reason : ''}`);
  return d.next;
};

describe('approving', () => {
  it('counts approvers from a listed group or listed by id, and deploys on the last one needed', () => {
    const once = next(decideApproval(promotion(), rel('URITA'), production, NOW));
    expect(once.state).toBe('awaiting_approval');
    const d = decideApproval(once, nobody('ULEAD'), production, NOW + 1);
    expect(next(d).state).toBe('deploying');
    expect(d.kind === 'accept' && d.audit.map((a) => a.type)).toEqual(['approved', 'deploy_started']);
    expect(d.kind === 'accept' && d.effects.map((e) => e.type)).toContain('deploy');
  });

  it('refuses the requester without self_approval, and allows them with it', () => {
    expect(decideApproval(promotion(), rel('UALICE'), production, NOW)).toMatchObject({ kind: 'refuse', reason: 'You asked for this promotion; someone else must approve it.', audit: { type: 'approval_refused' } });
    const lenient = { ...production, approvals: { ...production.approvals, selfApproval: true } };
    expect(decideApproval(promotion(), rel('UALICE'), lenient, NOW).kind).toBe('accept');
  });

  it('says why membership is unknown instead of "not an approver" when the directory failed', () => {
    const d = decideApproval(promotion(), { user: 'URITA', memberOf: [], membershipUnknown: 'plan_upgrade_required: list users by id' }, production, NOW);
    expect(d).toMatchObject({ kind: 'refuse', reason: 'plan_upgrade_required: list users by id' });
  });

  it('does not count an approval older than expire_after, and a fresh click renews it', () => {
    const once = next(decideApproval(promotion(), rel('URITA'), production, NOW));
    const later = NOW + 4 * 3600_000 + 1;
    const second = next(decideApproval(once, rel('URAJ'), production, later));
    expect(second.state).toBe('awaiting_approval');
    expect(next(decideApproval(second, rel('URITA'), production, later + 1)).state).toBe('deploying');
  });

  it('keeps every invariant under any sequence of clicks (property)', () => {
    const users = fc.constantFrom('UALICE', 'URITA', 'URAJ', 'ULEAD', 'UMALLORY', 'UQUINN');
    const membership: Record<string, string[]> = { URITA: ['S0REL'], URAJ: ['S0REL'] };
    const action = fc.record({ user: users, kind: fc.constantFrom('approve', 'reject', 'cancel', 'deployed', 'failed'), dt: fc.nat({ max: 3 * 3600_000 }) });
    fc.assert(
      fc.property(fc.array(action, { maxLength: 25 }), (actions) => {
        let p = promotion();
        let now = NOW;
        let deployStarts = 0;
        for (const a of actions) {
          now += a.dt;
          const click: Click = { user: a.user, memberOf: membership[a.user] ?? [] };
          const before = p;
          const d =
            a.kind === 'approve' ? decideApproval(p, click, production, now)
            : a.kind === 'reject' ? decideRejection(p, { ...click, reason: null }, production, now)
            : a.kind === 'cancel' ? decideCancel(p, click, production, now)
            : a.kind === 'deployed' ? decideDeploymentSucceeded(p, now)
            : decideDeploymentFailed(p, 'boom', now);
          if (d.kind !== 'accept') continue;
          p = d.next;
          // A final state never changes.
          expect((FINAL_STATES as readonly string[]).includes(before.state)).toBe(false);
          if (p.state === 'deploying' && before.state !== 'deploying') deployStarts++;
          // Only authorized people other than the requester appear among approvals, each once.
          const approvers = p.approvals.map((x) => x.user);
          expect(new Set(approvers).size).toBe(approvers.length);
          expect(approvers).not.toContain('UALICE');
          for (const u of approvers) expect(['URITA', 'URAJ', 'ULEAD']).toContain(u);
          // Deploying starts only with enough current approvals.
          if (p.state === 'deploying' && before.state === 'awaiting_approval') {
            expect(p.approvals.filter((x) => now - x.at < 4 * 3600_000).length).toBeGreaterThanOrEqual(2);
          }
          if (a.kind === 'reject') expect(['URITA', 'URAJ', 'ULEAD']).toContain(a.user);
          if (a.kind === 'cancel') expect(['UALICE', 'URITA', 'URAJ', 'ULEAD']).toContain(a.user);
        }
        expect(deployStarts).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });
});

describe('ending a promotion', () => {
  it('lets an approver reject and refuses once deploying', () => {
    expect(next(decideRejection(promotion(), { ...rel('URAJ'), reason: 'not today' }, production, NOW))).toMatchObject({ state: 'rejected', ending: { user: 'URAJ', reason: 'not today' } });
    expect(decideRejection(promotion({ state: 'deploying' }), { ...rel('URAJ'), reason: null }, production, NOW).kind).toBe('refuse');
  });

  it('lets the requester cancel before the deployment starts, never after', () => {
    expect(next(decideCancel(promotion(), nobody('UALICE'), production, NOW)).state).toBe('cancelled');
    expect(decideCancel(promotion({ state: 'deploying' }), nobody('UALICE'), production, NOW)).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/already started/) as string });
  });

  it('records the ledger change on success and offers the rollback', () => {
    const d = decideDeploymentSucceeded(promotion({ state: 'deploying' }), NOW);
    expect(d.kind === 'accept' && d.ledger).toEqual({ app: 'web', environment: 'production', version: '1.4.2', promotionId: 'sg-1', at: NOW, markBad: [] });
    expect(d.kind === 'accept' && d.effects).toContainEqual({ type: 'note', text: 'Deployed web to 1.4.2 in production.', rollbackTo: '1.4.1' });
  });
});
