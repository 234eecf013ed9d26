import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/domain/decision.js';
import { decideDeployCall, decideDeploymentSucceeded } from '../../src/domain/deployment.js';
import { decidePromotionRequest, decideQueuedRollbackStart, decideRollbackRequest } from '../../src/domain/request.js';
import { deployed, NOW, policy, promotion, snapshot } from './fixtures.js';

const onCall = { requesterMemberOf: ['S0ONCALL'] };
const rollbackAsk = (version: string | null = null, extra = {}) => ({ id: 'sg-9', app: 'web', environment: 'production', version, reason: 'incident', requester: 'UOMAR', now: NOW, ...onCall, ...extra });
const promoteAsk = (version: string, extra = {}) => ({ id: 'sg-9', app: 'web', version, environment: 'production', reason: 'because', requester: 'UALICE', requesterMemberOf: [] as string[], now: NOW, ...extra });

function accepted(d: Decision) {
  if (d.kind !== 'accept') throw new Error(`expected accept, got ${d.kind}: ${'reason' in d ? d.reason : ''}`);
  return d;
}

describe('a rollback takes priority over what waits', () => {
  for (const state of ['checking', 'awaiting_approval', 'blocked', 'scheduled'] as const) {
    it(`sets aside a promotion that is ${state}, with an audit entry and a note, and proceeds`, () => {
      const waiting = promotion({ id: 'sg-3', version: '1.5.0', state });
      const d = accepted(decideRollbackRequest(rollbackAsk(), policy(), snapshot({ production: '1.4.2' }, ['1.4.2', '1.4.1'], waiting)));
      expect(d.next).toMatchObject({ kind: 'rollback', version: '1.4.1', state: 'awaiting_approval' });
      expect(d.others).toHaveLength(1);
      expect(d.others![0]!.next).toMatchObject({ id: 'sg-3', state: 'superseded', ending: { reason: expect.stringMatching(/superseded by sg-9/) as string } });
      expect(d.others![0]!.audit.map((a) => a.type)).toEqual(['superseded']);
      expect(d.others![0]!.effects.some((e) => e.type === 'note')).toBe(true);
    });
  }

  it('waits for a deployment in progress: queued behind it, started when it ends', () => {
    const deploying = promotion({ id: 'sg-3', version: '1.5.0', state: 'deploying' });
    const d = accepted(decideRollbackRequest(rollbackAsk(), policy(), snapshot({ production: '1.4.2' }, ['1.4.2', '1.4.1'], deploying)));
    expect(d.next.state).toBe('queued');
    expect(d.others?.map((o) => [o.next.id, o.next.state, o.next.queuedRollback])).toEqual([['sg-3', 'deploying', 'sg-9']]);
    const done = accepted(decideDeploymentSucceeded({ ...deploying, queuedRollback: 'sg-9' }, NOW));
    expect(done.effects).toContainEqual({ type: 'start-queued', promotionId: 'sg-9' });
  });

  it('a queued rollback starts against what runs once the deployment ended, and undoes it too', () => {
    const queued = promotion({ id: 'sg-9', kind: 'rollback', version: '1.4.1', state: 'queued', from: null, previousVersion: '1.4.2', approvals: [{ user: 'URITA', at: NOW }] });
    const now = snapshot({ production: '1.5.0' }, ['1.5.0', '1.4.2', '1.4.1']);
    const d = accepted(decideQueuedRollbackStart(queued, policy(), now, NOW));
    expect(d.next).toMatchObject({ state: 'deploying', version: '1.4.1', previousVersion: '1.5.0', undoes: ['1.5.0', '1.4.2'] });
    expect(decideQueuedRollbackStart(queued, policy(), snapshot({ production: '1.5.0' }, [], promotion({ id: 'sg-3', state: 'deploying' })), NOW).kind).toBe('unchanged');
  });

  it('does not open a second rollback to the same version; it points at the one under way', () => {
    const waiting = promotion({ id: 'sg-4', kind: 'rollback', version: '1.4.1', state: 'awaiting_approval' });
    const d = decideRollbackRequest(rollbackAsk(), policy(), snapshot({ production: '1.4.2' }, ['1.4.2', '1.4.1'], waiting));
    expect(d).toEqual({ kind: 'unchanged', reason: expect.stringMatching(/already under way \(sg-4\)/) as string });
  });

  it('refuses a person outside the rollback policy even when the rollback would need approvals', () => {
    const d = decideRollbackRequest(rollbackAsk(null, { requesterMemberOf: [] }), policy(), snapshot({ production: '1.4.2' }, ['1.4.2', '1.4.1']));
    expect(d.kind).toBe('refuse');
    expect(d.kind === 'refuse' && d.audit?.type).toBe('rollback_refused');
  });
});

describe('versions undone by a rollback', () => {
  it('are marked bad when the rollback is deployed, and never chosen as a rollback target again', () => {
    const r = accepted(decideRollbackRequest(rollbackAsk(), policy(), snapshot({ production: '1.4.2' }, ['1.4.2', '1.4.1', '1.4.0'])));
    expect(r.next.undoes).toEqual(['1.4.2']);
    expect(r.next.lastKnownGood).toBe('1.4.0');
    const done = accepted(decideDeploymentSucceeded({ ...r.next, state: 'deploying' }, NOW));
    expect(done.ledger?.markBad).toEqual(['1.4.2']);
    expect(done.effects).toContainEqual({ type: 'note', text: expect.stringMatching(/Marked bad here: 1\.4\.2/) as string, rollbackTo: '1.4.0' });

    const after = snapshot({ production: '1.4.1' }, ['1.4.1', '1.4.2', '1.4.1', '1.4.0'], null, { bad: new Map([['1.4.2', 'sg-9']]) });
    const next = accepted(decideRollbackRequest({ ...rollbackAsk(), id: 'sg-10' }, policy(), after));
    expect(next.next.version).toBe('1.4.0');
    const explicit = decideRollbackRequest(rollbackAsk('1.4.2'), policy(), after);
    expect(explicit.kind === 'refuse' && explicit.reason).toMatch(/1\.4\.2 was rolled back in production \(by sg-9\)/);
  });

  it('need --force-bad and a reason to be promoted again, shown on the promotion', () => {
    const current = snapshot({ staging: '1.4.2', production: '1.4.1' }, ['1.4.1', '1.4.2'], null, { bad: new Map([['1.4.2', 'sg-9']]) });
    const plain = decidePromotionRequest(promoteAsk('1.4.2'), policy(), current);
    expect(plain.kind === 'refuse' && plain.reason).toMatch(/marked bad there.*--force-bad reason/);
    const noReason = decidePromotionRequest(promoteAsk('1.4.2', { forceBad: true, reason: ' ' }), policy(), current);
    expect(noReason.kind === 'refuse' && noReason.reason).toMatch(/Say why 1\.4\.2 may come back/);
    const forced = accepted(decidePromotionRequest(promoteAsk('1.4.2', { forceBad: true, reason: 'the fix was in the database' }), policy(), current));
    expect(forced.next.forcedBad).toBe('the fix was in the database');
    expect(forced.audit[0]!.detail).toMatchObject({ forced_bad: 'the fix was in the database' });
  });
});

describe('a new request meets the one in flight', () => {
  it('supersedes a blocked promotion', () => {
    const blocked = promotion({ id: 'sg-3', version: '1.4.0', state: 'blocked' });
    const d = accepted(decidePromotionRequest(promoteAsk('1.4.2'), policy(), snapshot({ staging: '1.4.2', production: '1.4.1' }, [], blocked)));
    expect(d.others?.[0]?.next).toMatchObject({ id: 'sg-3', state: 'superseded' });
  });

  for (const state of ['awaiting_approval', 'scheduled', 'checking', 'deploying'] as const) {
    it(`is refused while one is ${state}, naming it and how to cancel it`, () => {
      const d = decidePromotionRequest(promoteAsk('1.4.2'), policy(), snapshot({ staging: '1.4.2', production: '1.4.1' }, [], promotion({ id: 'sg-3', state })));
      expect(d.kind === 'refuse' && d.reason).toMatch(/\(sg-3: .*\/promote cancel sg-3/);
    });
  }
});

describe('the path rule at deploy start', () => {
  const deploying = promotion({ state: 'deploying', deployment: { startedAt: NOW, finishedAt: null, error: null } });

  it('blocks a promotion whose version no longer runs in `from`, and deploys nothing', () => {
    const d = accepted(decideDeployCall(deploying, deployed('1.4.1'), NOW));
    expect(d.next).toMatchObject({ state: 'blocked', blockedReason: expect.stringMatching(/staging no longer runs 1\.4\.2 \(it runs 1\.4\.1\)/) as string });
    expect(d.effects.some((e) => e.type === 'deploy')).toBe(false);
  });

  it('records the call once when `from` still runs it', () => {
    const d = accepted(decideDeployCall(deploying, deployed('1.4.2'), NOW));
    expect(d.next.deployment?.calledAt).toBe(NOW);
    expect(decideDeployCall(d.next, deployed('1.4.2'), NOW).kind).toBe('unchanged');
  });
});

describe('a rollback queued behind a deployment that has just ended', () => {
  const queuedRollback = promotion({ id: 'sg-8', kind: 'rollback', version: '1.4.1', state: 'queued', from: null, previousVersion: '1.4.2', approvals: [{ user: 'URITA', at: NOW }] });
  // The deployment ended: the slot now names the queued rollback, which has not started yet.
  const handedOver = snapshot({ staging: '1.5.0', production: '1.5.0' }, ['1.5.0', '1.4.2', '1.4.1', '1.4.0'], null, { queued: queuedRollback });

  it('goes first: a new promotion is refused, naming it', () => {
    const d = decidePromotionRequest(promoteAsk('1.5.1'), policy(), { ...handedOver, current: new Map([...handedOver.current, ['staging', deployed('1.5.1')]]) });
    expect(d.kind === 'refuse' && d.reason).toMatch(/rollback of web in production to 1\.4\.1 is queued \(sg-8\) and goes first/);
  });

  it('is set aside by a newer rollback to another version, never left behind to run later', () => {
    const d = accepted(decideRollbackRequest(rollbackAsk('1.4.0'), policy(), handedOver));
    expect(d.next).toMatchObject({ kind: 'rollback', version: '1.4.0' });
    expect(d.others?.map((o) => [o.next.id, o.next.state])).toEqual([['sg-8', 'superseded']]);
  });

  it('asks for approval again when it starts toward another version than the one approved', () => {
    const bad = { ...handedOver, bad: new Map([['1.4.1', 'sg-9']]) };
    const d = accepted(decideQueuedRollbackStart(queuedRollback, policy(), bad, NOW));
    expect(d.next).toMatchObject({ version: '1.4.2', approvals: [], state: 'awaiting_approval' });
  });
});
