import { describe, expect, it } from 'vitest';
import { decideDrillLegFailed, decideDrillLegSucceeded, decideDrillRequest, type DrillAsk } from '../../src/domain/drill.js';
import { decideQueuedRollbackStart, decideRollbackRequest } from '../../src/domain/request.js';
import type { Accepted } from '../../src/domain/decision.js';
import type { Promotion } from '../../src/domain/promotion.js';
import { judgeRehearsal } from '../../src/gates/rollback-rehearsed-gate.js';
import { deployed, NOW, policy, snapshot } from './fixtures.js';

/** Staging allows drills (production feeds from it); production only when told. */
function drillPolicy(productionAllows = false) {
  const p = policy();
  const envs = new Map(p.environments);
  envs.set('staging', { ...envs.get('staging')!, rehearsal: { allowed: true, everyMs: 30 * 86_400_000 } });
  envs.set('production', { ...envs.get('production')!, rehearsal: { allowed: productionAllows, everyMs: null } });
  return { ...p, environments: envs };
}

const ask = (overrides: Partial<DrillAsk> = {}): DrillAsk => ({ id: 'sg-9', app: 'web', environment: 'staging', requester: 'UQUINN', requesterMemberOf: ['S0QA'], now: NOW, ...overrides });
const history = (...versions: string[]) => versions.map((v) => deployed(v, `sg-${v}`));
const twoVersions = () => ({ ...snapshot({ staging: '1.1.0' }), current: new Map([['staging', deployed('1.1.0', 'sg-1.1.0')]]), history: history('1.1.0', '1.0.0') });

function accepted(d: ReturnType<typeof decideDrillRequest>): Accepted {
  if (d.kind !== 'accept') throw new Error(`expected an accept, got ${d.kind}: ${'reason' in d ? d.reason : ''}`);
  return d;
}

describe('rollback drills (pure decisions)', () => {
  it('starts a drill that holds the slot, deploying back to the version known good', () => {
    const d = accepted(decideDrillRequest(ask(), drillPolicy(), twoVersions()));
    expect(d.next).toMatchObject({ kind: 'drill', state: 'deploying', version: '1.1.0', drill: { target: '1.0.0', targetPromotion: 'sg-1.0.0', currentPromotion: 'sg-1.1.0', leg: 'back' } });
    expect(d.effects.map((e) => e.type)).toEqual(['render', 'deploy', 'note']);
    expect(d.audit[0]).toMatchObject({ type: 'drill_started', actor: 'UQUINN' });
  });

  it('refuses production unless it allows drills, people who may not roll back, and a busy environment', () => {
    const prod = { ...twoVersions(), current: new Map([['production', deployed('1.1.0')]]) };
    expect(decideDrillRequest(ask({ environment: 'production', requester: 'UOMAR', requesterMemberOf: ['S0ONCALL'] }), drillPolicy(), prod)).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/Rollback drills are off in production/) });
    expect(decideDrillRequest(ask({ environment: 'production', requester: 'UOMAR', requesterMemberOf: ['S0ONCALL'] }), drillPolicy(true), prod).kind).toBe('accept');
    expect(decideDrillRequest(ask({ requester: 'UMALLORY', requesterMemberOf: [] }), drillPolicy(), twoVersions())).toMatchObject({ kind: 'refuse', audit: { type: 'drill_refused' } });
    const busy = { ...twoVersions(), inFlight: { id: 'sg-3', kind: 'promote', version: '1.2.0', state: 'awaiting_approval' } as Promotion };
    expect(decideDrillRequest(ask(), drillPolicy(), busy)).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/is busy \(sg-3: 1\.2\.0, awaiting approval\)/) });
    expect(decideDrillRequest(ask(), drillPolicy(), { ...twoVersions(), history: history('1.1.0') })).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/no earlier version known good/) });
  });

  it('starts a scheduled drill only once per period', () => {
    const scheduled = ask({ requester: 'shipgate', requesterMemberOf: [], scheduled: true });
    const last = { id: 'sg-2', app: 'web', environment: 'staging', requester: 'shipgate', startedAt: NOW - 86_400_000, finishedAt: NOW - 86_000_000, current: '1.1.0', target: '1.0.0', backMs: 1, forwardMs: 1, outcome: 'failed' as const, error: 'x', liveAfter: '1.1.0' };
    expect(decideDrillRequest(scheduled, drillPolicy(), { ...twoVersions(), lastDrill: last }).kind).toBe('unchanged');
    expect(decideDrillRequest(scheduled, drillPolicy(), { ...twoVersions(), lastDrill: { ...last, startedAt: NOW - 31 * 86_400_000 } }).kind).toBe('accept');
  });

  it('follows each leg in the ledger, names the first deployers, marks nothing bad, and records the drill', () => {
    const started = accepted(decideDrillRequest(ask(), drillPolicy(), twoVersions())).next;
    const back = accepted(decideDrillLegSucceeded(started, NOW + 1000));
    expect(back.ledger).toMatchObject({ version: '1.0.0', promotionId: 'sg-1.0.0', markBad: [] });
    expect(back.next).toMatchObject({ state: 'deploying', drill: { leg: 'forward' } });
    expect(back.effects.map((e) => e.type)).toContain('deploy');
    const forward = accepted(decideDrillLegSucceeded(back.next, NOW + 3000));
    expect(forward.ledger).toMatchObject({ version: '1.1.0', promotionId: 'sg-1.1.0', markBad: [] });
    expect(forward.drill).toMatchObject({ outcome: 'succeeded', backMs: 1000, forwardMs: 2000, liveAfter: '1.1.0' });
    expect(forward.next.state).toBe('deployed');
  });

  it('leaves the environment on the version known good when the forward leg fails, and says so', () => {
    const started = accepted(decideDrillRequest(ask(), drillPolicy(), twoVersions())).next;
    const back = accepted(decideDrillLegSucceeded(started, NOW + 1000)).next;
    const failed = accepted(decideDrillLegFailed(back, 'boom', NOW + 2000));
    expect(failed.ledger).toBeUndefined();
    expect(failed.drill).toMatchObject({ outcome: 'forward_failed', liveAfter: '1.0.0' });
    expect(failed.audit[0]).toMatchObject({ type: 'drill_forward_failed', detail: { left_on: '1.0.0' } });
    expect(failed.effects.find((e) => e.type === 'note')).toMatchObject({ text: expect.stringMatching(/left on 1\.0\.0\*, not 1\.1\.0/) });
  });

  it('queues a real rollback behind a drill, stops the drill after its leg, and still runs the rollback on the version the drill left', () => {
    const p = drillPolicy();
    const started = accepted(decideDrillRequest(ask(), p, twoVersions())).next;
    const rollback = accepted(decideRollbackRequest({ id: 'sg-10', app: 'web', environment: 'staging', version: null, reason: '', requester: 'UQUINN', requesterMemberOf: ['S0QA'], now: NOW }, p, { ...twoVersions(), inFlight: started }));
    expect(rollback.next).toMatchObject({ state: 'queued', version: '1.0.0', behindDrill: 'sg-9', undoes: ['1.1.0'] });
    const holder = rollback.others![0]!.next;
    const interrupted = accepted(decideDrillLegSucceeded(holder, NOW + 1000));
    expect(interrupted.next.state).toBe('cancelled');
    expect(interrupted.effects).toContainEqual({ type: 'start-queued', promotionId: 'sg-10' });
    expect(interrupted.drill).toMatchObject({ outcome: 'interrupted', liveAfter: '1.0.0' });
    const after = { ...twoVersions(), current: new Map([['staging', deployed('1.0.0', 'sg-1.0.0')]]), history: history('1.0.0', '1.1.0', '1.0.0'), queued: rollback.next };
    const start = accepted(decideQueuedRollbackStart(rollback.next, p, after, NOW + 1100) as ReturnType<typeof decideDrillRequest>);
    expect(start.next).toMatchObject({ state: 'deploying', version: '1.0.0', undoes: ['1.1.0'] });
  });

  it('judges the rollback-rehearsed gate on the last drill that passed within the period', () => {
    const rec = (outcome: 'succeeded' | 'failed', finishedAt: number) => ({ id: `sg-${finishedAt}`, app: 'web', environment: 'staging', requester: 'U', startedAt: finishedAt - 10, finishedAt, current: '1.1.0', target: '1.0.0', backMs: 1, forwardMs: 1, outcome, error: null, liveAfter: '1.1.0' });
    const config = { withinMs: 30 * 86_400_000, environment: null };
    expect(judgeRehearsal(config, 'staging', [rec('succeeded', NOW - 86_400_000)], NOW)).toMatchObject({ status: 'passed', summary: expect.stringMatching(/last drill .* 1 day ago/) });
    expect(judgeRehearsal(config, 'staging', [rec('failed', NOW - 1000), rec('succeeded', NOW - 40 * 86_400_000)], NOW)).toMatchObject({ status: 'failed', summary: expect.stringMatching(/last drill .*failed\); last passed .*40 days ago/) });
    expect(judgeRehearsal(config, 'staging', [], NOW)).toMatchObject({ status: 'failed', summary: expect.stringMatching(/no drill yet/) });
    expect(judgeRehearsal(config, null, [], NOW).status).toBe('error');
  });
});
