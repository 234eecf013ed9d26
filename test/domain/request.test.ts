import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decidePromotionRequest, decideRollbackRequest, rollbackTargetOf } from '../../src/domain/request.js';
import { NOW, policy, promotion, snapshot } from './fixtures.js';

const ask = (version: string, environment: string, extra: Partial<Parameters<typeof decidePromotionRequest>[0]> = {}) => ({
  id: 'sg-9',
  app: 'web',
  version,
  environment,
  reason: 'because',
  requester: 'UALICE',
  requesterMemberOf: [],
  now: NOW,
  ...extra,
});

describe('asking for a promotion', () => {
  it('accepts the version that runs in the environment it comes from, and waits for approvals', () => {
    const d = decidePromotionRequest(ask('1.4.2', 'production'), policy(), snapshot({ staging: '1.4.2', production: '1.4.1' }));
    expect(d.kind).toBe('accept');
    if (d.kind !== 'accept') return;
    expect(d.next).toMatchObject({ state: 'awaiting_approval', from: 'staging', previousVersion: '1.4.1', message: { channel: 'C0DEPLOYS', ts: null } });
    expect(d.audit.map((a) => a.type)).toEqual(['requested']);
    expect(d.effects).toEqual([{ type: 'render' }]);
  });

  it('starts deploying at once where no approval is required', () => {
    const d = decidePromotionRequest(ask('7.0.0', 'development'), policy(), snapshot({}));
    expect(d.kind === 'accept' && d.next.state).toBe('deploying');
    expect(d.kind === 'accept' && d.effects.map((e) => e.type)).toEqual(['render', 'deploy', 'note']);
  });

  it('refuses a version that never reached the previous environment', () => {
    const d = decidePromotionRequest(ask('1.4.2', 'production'), policy(), snapshot({ development: '1.4.2' }));
    expect(d).toEqual({ kind: 'refuse', reason: expect.stringMatching(/never been deployed to staging.*promote 1\.4\.2 to staging first/) as string });
  });

  it('refuses while another promotion for the same target is in flight', () => {
    const d = decidePromotionRequest(ask('1.4.2', 'production'), policy(), snapshot({ staging: '1.4.2' }, [], promotion({ id: 'sg-3', version: '1.4.2', state: 'awaiting_approval' })));
    expect(d.kind === 'refuse' && d.reason).toMatch(/in flight to production \(sg-3/);
  });

  it('accepts a request exactly when the version runs in `from` and not already in the target (property)', () => {
    const versions = fc.constantFrom('1.0.0', '1.1.0', '2.0.0');
    const maybe = fc.option(versions, { nil: undefined });
    fc.assert(
      fc.property(versions, fc.constantFrom('development', 'staging', 'production'), maybe, maybe, maybe, (version, env, dev, stg, prod) => {
        const current: Record<string, string> = {};
        if (dev) current.development = dev;
        if (stg) current.staging = stg;
        if (prod) current.production = prod;
        const from = policy().environments.get(env)!.from;
        const expected = current[env] !== version && (from === null || current[from] === version);
        const d = decidePromotionRequest(ask(version, env), policy(), snapshot(current));
        expect(d.kind === 'accept').toBe(expected);
        if (d.kind === 'accept') expect(d.next.previousVersion).toBe(current[env] ?? null);
      }),
    );
  });
});

describe('asking for a rollback', () => {
  const rollback = (version: string | null, extra: Partial<Parameters<typeof decideRollbackRequest>[0]> = {}) => ({ ...ask('x', 'production'), requesterMemberOf: ['S0ONCALL'], version, ...extra });

  it('goes back to the version before the current one by default, under the rollback policy', () => {
    const d = decideRollbackRequest(rollback(null), policy(), snapshot({ production: '1.4.2' }, ['1.4.2', '1.4.1', '1.4.0']));
    expect(d.kind === 'accept' && d.next).toMatchObject({ kind: 'rollback', version: '1.4.1', previousVersion: '1.4.2', state: 'awaiting_approval', rollbackOf: 'sg-1.4.2' });
  });

  it('takes an explicit earlier version, and refuses one that never ran there', () => {
    expect(decideRollbackRequest(rollback('1.4.0'), policy(), snapshot({ production: '1.4.2' }, ['1.4.2', '1.4.1', '1.4.0'])).kind).toBe('accept');
    const d = decideRollbackRequest(rollback('0.9.0'), policy(), snapshot({ production: '1.4.2' }, ['1.4.2', '1.4.1']));
    expect(d.kind === 'refuse' && d.reason).toMatch(/0\.9\.0 never ran in production.*Known good there: 1\.4\.1/);
  });

  it('lets only an authorized person start a rollback that needs no approval', () => {
    const p = policy();
    const env = p.environments.get('staging')!;
    const noApproval = { ...p, environments: new Map([...p.environments, ['staging', { ...env, rollback: { ...env.rollback, required: 0, approvers: ['S0ONCALL'] } }]]) };
    const current = snapshot({ staging: '2.0.0' }, ['2.0.0', '1.0.0']);
    const outsider = decideRollbackRequest({ ...rollback(null), environment: 'staging', requesterMemberOf: [] }, noApproval, current);
    expect(outsider.kind === 'refuse' && outsider.reason).toMatch(/Only <!subteam\^S0ONCALL> can roll back staging/);
    const onCall = decideRollbackRequest({ ...rollback(null), environment: 'staging', requesterMemberOf: ['S0ONCALL'] }, noApproval, current);
    expect(onCall.kind === 'accept' && onCall.next.state).toBe('deploying');
  });
});

describe('rolling back a deployment from its button', () => {
  const deployedP = promotion({ id: 'sg-5', state: 'deployed', version: '1.4.2', previousVersion: '1.4.1' });

  it('goes back to the version before it while it is still what runs', () => {
    expect(rollbackTargetOf(deployedP, { version: '1.4.2', promotionId: 'sg-5', at: NOW })).toEqual({ ok: true, version: '1.4.1' });
  });

  it('refuses once something else was deployed, or when nothing ran before', () => {
    expect(rollbackTargetOf(deployedP, { version: '1.5.0', promotionId: 'sg-6', at: NOW })).toMatchObject({ ok: false, reason: expect.stringMatching(/no longer what runs in production \(it runs 1\.5\.0\)/) as string });
    expect(rollbackTargetOf({ ...deployedP, previousVersion: null }, { version: '1.4.2', promotionId: 'sg-5', at: NOW })).toEqual({ ok: false, reason: 'There is no version known good in production to go back to from 1.4.2.' });
    expect(rollbackTargetOf({ ...deployedP, state: 'rolled_back' }, { version: '1.4.2', promotionId: 'sg-5', at: NOW }).ok).toBe(false);
  });
});
