import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideCopyFailed,
  decideRefreshApproval,
  decideRefreshRequest,
  decideScanResult,
  productionEnvironments,
  type Refresh,
  type RefreshPolicy,
} from '../../src/domain/refresh.js';

const policy: RefreshPolicy = {
  datasets: new Map([
    ['customers', { name: 'customers', from: ['production'], to: ['staging', 'development'], masking: 'customers-v2', executor: 'copy', approvals: { required: 2, approvers: ['UDBA1', 'UDBA2', 'S0DBA'], selfApproval: false, expireAfterMs: null } }],
  ]),
  production: new Set(['production']),
  channels: new Map([
    ['development', 'C0DEV'],
    ['staging', 'C0STAGING'],
    ['production', 'C0PROD'],
  ]),
  configHash: 'h',
};

const ask = { id: 'rf-1', dataset: 'customers', from: 'production', to: 'staging', reason: 'weekly', requester: 'UALICE', now: 1_000 };

function requested(): Refresh {
  const decision = decideRefreshRequest(ask, policy, null);
  if (decision.kind !== 'accept') throw new Error(decision.reason);
  return decision.next;
}

const click = (user: string, memberOf: string[] = []) => ({ user, memberOf, membershipUnknown: null });
const dataset = policy.datasets.get('customers')!;

describe('data refresh decisions', () => {
  it('finds production at the end of each promotion path, and only there', () => {
    expect(productionEnvironments([{ name: 'development', from: null }, { name: 'staging', from: 'development' }, { name: 'production', from: 'staging' }, { name: 'sandbox', from: null }])).toEqual(new Set(['production']));
    expect(productionEnvironments([{ name: 'dev', from: null }, { name: 'prod-eu', from: 'dev' }, { name: 'prod-us', from: 'dev' }])).toEqual(new Set(['prod-eu', 'prod-us']));
  });

  it('posts the request in the target environment\'s channel, waiting for its approvers', () => {
    const r = requested();
    expect(r).toMatchObject({ state: 'awaiting_approval', message: { channel: 'C0STAGING', ts: null }, masking: 'customers-v2', required: 2, approvals: [] });
  });

  it('never accepts a request into production, whatever the source and dataset say', () => {
    fc.assert(
      fc.property(fc.constantFrom('development', 'staging', 'production'), fc.string(), (from, reason) => {
        const decision = decideRefreshRequest({ ...ask, from, to: 'production', reason }, policy, null);
        expect(decision.kind).toBe('refuse');
      }),
    );
  });

  it('starts the copy only at the required approval, never counting the requester or the same person twice', () => {
    const r = requested();
    expect(decideRefreshApproval(r, click('UALICE', ['S0DBA']), dataset, 2_000)).toMatchObject({ kind: 'refuse', reason: 'You asked for this refresh; someone else must approve it.' });
    const once = decideRefreshApproval(r, click('UDBA1'), dataset, 2_000);
    if (once.kind !== 'accept') throw new Error('refused');
    expect(once.next.state).toBe('awaiting_approval');
    expect(once.effects).toEqual([{ type: 'render-refresh' }]);
    expect(decideRefreshApproval(once.next, click('UDBA1'), dataset, 2_100)).toMatchObject({ kind: 'unchanged' });
    const twice = decideRefreshApproval(once.next, click('UBOB', ['S0DBA']), dataset, 2_200);
    if (twice.kind !== 'accept') throw new Error('refused');
    expect(twice.next.state).toBe('copying');
    expect(twice.effects.filter((e) => e.type === 'copy')).toHaveLength(1);
    // A late click on a refresh already copying starts nothing.
    expect(decideRefreshApproval(twice.next, click('UDBA2'), dataset, 2_300)).toMatchObject({ kind: 'unchanged', reason: 'Refresh rf-1 is already copying.' });
  });

  it('completes only on a passing scan; a failure of any kind flags the target', () => {
    const scanning: Refresh = { ...requested(), state: 'scanning', copy: { startedAt: 1, handle: 'h', link: null, sampleUrl: null, copiedAt: 2 } };
    const evidence = { summary: 's', url: 'https://x', records: 3, counts: { email: 0 }, at: 5 };
    expect(decideScanResult(scanning, { ...evidence, passed: true })).toMatchObject({ kind: 'accept', next: { state: 'completed' }, flag: { clear: true } });
    expect(decideScanResult(scanning, { ...evidence, passed: false })).toMatchObject({ kind: 'accept', next: { state: 'failed' }, flag: { set: { environment: 'staging', dataset: 'customers', refreshId: 'rf-1' } } });
    expect(decideCopyFailed({ ...scanning, state: 'copying' }, 'disk full', 5)).toMatchObject({ next: { state: 'failed', failure: 'the copy failed: disk full' }, flag: { set: { environment: 'staging' } } });
    expect(decideScanResult({ ...scanning, state: 'completed' }, { ...evidence, passed: false })).toMatchObject({ kind: 'unchanged' });
  });
});
