import type { ApprovalPolicy, EnvironmentPolicy, Policy } from '../../src/domain/policy.js';
import type { Promotion } from '../../src/domain/promotion.js';
import type { AppSnapshot, DeployedVersion } from '../../src/domain/request.js';

export const NOW = Date.UTC(2026, 10, 24, 10, 0);

export function approvals(overrides: Partial<ApprovalPolicy> = {}): ApprovalPolicy {
  return { required: 2, approvers: ['S0REL', 'ULEAD'], selfApproval: false, expireAfterMs: null, ...overrides };
}

export function environment(name: string, overrides: Partial<EnvironmentPolicy> = {}): EnvironmentPolicy {
  const a = overrides.approvals ?? approvals({ required: 0, approvers: [] });
  return {
    name,
    from: null,
    channel: 'C0DEPLOYS',
    approvals: a,
    rollback: { required: 0, approvers: a.approvers, selfApproval: true, expireAfterMs: null },
    emergency: null,
    calendar: null,
    rollbackRespectsCalendar: false,
    autoRollback: null,
    gates: [],
    ...overrides,
  };
}

/** development → staging (1 approval) → production (2 approvals, no self-approval). */
export function policy(): Policy {
  return {
    apps: new Map([['web', { name: 'web' }]]),
    environments: new Map([
      ['development', environment('development')],
      ['staging', environment('staging', { from: 'development', approvals: approvals({ required: 1, approvers: ['S0QA'] }) })],
      ['production', environment('production', { from: 'staging', approvals: approvals(), rollback: approvals({ required: 1, approvers: ['S0ONCALL'] }) })],
    ]),
    configHash: 'c0ffee',
  };
}

export function deployed(version: string, promotionId = `sg-${version}`, at = NOW - 3600_000): DeployedVersion {
  return { version, promotionId, at };
}

export function snapshot(current: Record<string, string>, history: string[] = [], inFlight: AppSnapshot['inFlight'] = null, extra: Partial<AppSnapshot> = {}): AppSnapshot {
  return { current: new Map(Object.entries(current).map(([env, v]) => [env, deployed(v)])), history: history.map((v) => deployed(v)), inFlight, bad: new Map(), queued: null, ...extra };
}

export function promotion(overrides: Partial<Promotion> = {}): Promotion {
  return {
    id: 'sg-1',
    kind: 'promote',
    app: 'web',
    version: '1.4.2',
    environment: 'production',
    from: 'staging',
    previousVersion: '1.4.1',
    rollbackOf: null,
    requester: 'UALICE',
    reason: '',
    requestedAt: NOW,
    state: 'awaiting_approval',
    approvals: [],
    ending: null,
    deployment: null,
    message: { channel: 'C0PROD', ts: null },
    configHash: 'c0ffee',
    emergency: false,
    scheduledFor: null,
    gates: null,
    ...overrides,
  };
}
