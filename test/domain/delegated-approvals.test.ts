import { describe, expect, it } from 'vitest';
import { decideApproval, type Click } from '../../src/domain/approvals.js';
import { decideDelegate } from '../../src/domain/delegation.js';
import { approvals, environment, NOW, promotion } from './fixtures.js';

const lenient = environment('production', { approvals: approvals({ required: 2, approvers: ['S0REL'], selfApproval: true }) });
const holding = (user: string, delegator: string, until = NOW + 3600_000): Click => ({ user, memberOf: [], delegations: [{ delegator, memberOf: ['S0REL'], until }] });

describe('approving through a delegation', () => {
  it('never counts for a promotion the delegate asked for, even where self-approval is allowed', () => {
    expect(decideApproval(promotion({ requester: 'UMALLORY' }), holding('UMALLORY', 'URITA'), lenient, NOW)).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/a delegation never lets you approve it yourself/) });
  });

  it('does not count once the delegation ended, and the approval lapses when it ends', () => {
    expect(decideApproval(promotion(), holding('UMALLORY', 'URITA', NOW), lenient, NOW)).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/not an approver/) });
    const d = decideApproval(promotion(), holding('UMALLORY', 'URITA'), lenient, NOW);
    expect(d.kind === 'accept' && d.next.approvals).toEqual([{ user: 'UMALLORY', at: NOW, as: ['S0REL'], onBehalfOf: 'URITA', delegatedUntil: NOW + 3600_000 }]);
    expect(d.kind === 'accept' && d.effects).toContainEqual({ type: 'render', at: NOW + 3600_000 });
  });

  it('refuses a delegation from someone who is not an approver, or into the past', () => {
    const ask = { delegator: 'UQUINN', delegate: 'UMALLORY', until: NOW + 1, environments: [], known: ['production'], mayApprove: [], now: NOW };
    expect(decideDelegate(ask, [])).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/not an approver/) });
    expect(decideDelegate({ ...ask, mayApprove: ['production'], until: NOW }, [])).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/in the past/) });
  });
});
