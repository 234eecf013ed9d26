import { describe, expect, it } from 'vitest';
import { decideDriftAdopt, decideDriftCheck, type DriftRecord } from '../../src/domain/drift.js';
import { decidePromotionRequest, decideRollbackRequest } from '../../src/domain/request.js';
import { deployed, environment, NOW, policy, snapshot, approvals } from './fixtures.js';

const seen = (running: string | null, ledger = deployed('1.0.0', 'sg-1'), ledgerKind: 'promote' | 'rollback' | null = 'promote') => ({ running, ledger, ledgerKind });
const check = (record: DriftRecord | null, observation: ReturnType<typeof seen>) => decideDriftCheck(record, observation, 'web', 'staging', 'C0DEPLOYS', NOW);

function drifted(): DriftRecord {
  const d = check(null, seen('1.1.0'));
  if (d.kind !== 'accept') throw new Error('expected a detection');
  return d.next;
}

describe('a drift check', () => {
  it('detects a version other than the ledger once, timed from when it was last known in sync', () => {
    const d = check(null, seen('1.1.0'));
    expect(d.kind).toBe('accept');
    if (d.kind !== 'accept') return;
    expect(d.next).toMatchObject({ state: 'drifted', running: '1.1.0', recorded: { version: '1.0.0', promotionId: 'sg-1' }, episode: 1, detectedAt: NOW });
    expect(d.audit.map((a) => a.type)).toEqual(['drift_detected']);
    expect(d.detected).toEqual({ sinceInSyncMs: 3600_000 });
    expect(check(d.next, seen('1.1.0')).kind).toBe('unchanged');
  });

  it('changes nothing when the executor cannot tell, or Shipgate never deployed there', () => {
    expect(check(null, seen(null)).kind).toBe('unchanged');
    expect(decideDriftCheck(null, { running: '1.0.0', ledger: null, ledgerKind: null }, 'web', 'staging', 'C0DEPLOYS', NOW).kind).toBe('unchanged');
  });

  it('resolves when the ledger version runs again, naming a rollback that brought it back', () => {
    const d = check(drifted(), seen('1.0.0', deployed('1.0.0', 'sg-7'), 'rollback'));
    expect(d.kind === 'accept' && d.next.resolution).toMatchObject({ how: 'rolled_back', promotionId: 'sg-7' });
    expect(d.kind === 'accept' && d.audit.map((a) => a.type)).toEqual(['drift_resolved']);
  });
});

describe('adopting a drift', () => {
  const staging = environment('staging', { approvals: approvals({ required: 1, approvers: ['ULEAD'] }) });
  const click = (user: string) => ({ user, memberOf: [], membershipUnknown: null });

  it('records what runs in the ledger for an approver, with its audit fact', () => {
    const d = decideDriftAdopt(drifted(), click('ULEAD'), staging, deployed('1.0.0', 'sg-1'), null, NOW);
    expect(d.kind).toBe('accept');
    if (d.kind !== 'accept') return;
    expect(d.ledger).toMatchObject({ app: 'web', environment: 'staging', version: '1.1.0' });
    expect(d.audit).toEqual([expect.objectContaining({ type: 'drift_adopted', actor: 'ULEAD' })]);
  });

  it('refuses anyone else, and anyone while a deployment runs', () => {
    const stranger = decideDriftAdopt(drifted(), click('UMALLORY'), staging, deployed('1.0.0', 'sg-1'), null, NOW);
    expect(stranger).toMatchObject({ kind: 'refuse', audit: { type: 'drift_adopt_refused' } });
    expect(decideDriftAdopt(drifted(), click('ULEAD'), staging, deployed('1.0.0', 'sg-1'), 'sg-3', NOW).kind).toBe('refuse');
  });
});

describe('promotions and rollbacks meet a drift', () => {
  const ask = { id: 'sg-9', app: 'web', reason: '', requester: 'UALICE', requesterMemberOf: [], now: NOW };
  const drifts = new Map([['development', { running: '1.1.0', detectedAt: NOW }]]);

  it('refuses a promotion out of a drifted environment, saying how to settle it', () => {
    const d = decidePromotionRequest({ ...ask, version: '1.0.0', environment: 'staging' }, policy(), snapshot({ development: '1.0.0' }, [], null, { drifts }));
    expect(d.kind === 'refuse' && d.reason).toMatch(/runs 1\.1\.0, not 1\.0\.0 .* adopt 1\.1\.0 .* roll development back to 1\.0\.0/);
  });

  it("accepts a rollback to the ledger's own version only while the environment has drifted from it", () => {
    const rollback = { ...ask, version: '1.0.0', environment: 'development' };
    expect(decideRollbackRequest(rollback, policy(), snapshot({ development: '1.0.0' }, ['1.0.0'])).kind).toBe('refuse');
    const d = decideRollbackRequest(rollback, policy(), snapshot({ development: '1.0.0' }, ['1.0.0'], null, { drifts }));
    expect(d.kind).toBe('accept');
    if (d.kind !== 'accept') return;
    expect(d.next).toMatchObject({ kind: 'rollback', version: '1.0.0', previousVersion: '1.1.0', rollbackOf: null, undoes: [] });
  });
});
