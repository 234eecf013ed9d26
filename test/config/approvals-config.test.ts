import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load-config.js';
import { toPolicy } from '../../src/config/to-policy.js';

const file = (approvals: string) => `slack: { channel: C0DEPLOYS }
apps:
  web: { executor: hook }
environments:
  production:
    approvals: ${approvals}
executors:
  hook: { type: webhook, url: "https://deploy.example.com/hook", secret: "\${HOOK_SECRET}" }
`;
const env = { HOOK_SECRET: 's'.repeat(24) };

function problemOf(text: string): string {
  try {
    parseConfig(text, 'shipgate.yml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('approvals in shipgate.yml', () => {
  it('reads all_of as a quorum per group, with the groups as approvers and their sum as required', () => {
    const { config, hash } = parseConfig(file('{ all_of: [{ group: S0QA, required: 1, name: QA }, { group: S0REL, required: 2 }], remind_after: 1h, escalate_after: 4h, escalate_to: S0LEADS }'), 'shipgate.yml', env);
    expect(toPolicy(config, hash).environments.get('production')!.approvals).toEqual({
      required: 3,
      approvers: ['S0QA', 'S0REL'],
      selfApproval: false,
      expireAfterMs: null,
      quorums: [
        { group: 'S0QA', required: 1, name: 'QA' },
        { group: 'S0REL', required: 2, name: null },
      ],
      remindAfterMs: 3600_000,
      escalateAfterMs: 4 * 3600_000,
      escalateTo: 'S0LEADS',
    });
  });

  it.each([
    ['both forms', '{ required: 1, approvers: [S0QA], all_of: [{ group: S0REL, required: 1 }] }', /environments\.production\.approvals\.all_of.*either required with approvers .* or all_of/],
    ['neither form', '{ self_approval: true }', /environments\.production\.approvals\.required.*say how many approvals are needed/],
    ['a group listed twice', '{ all_of: [{ group: S0QA, required: 1 }, { group: S0QA, required: 1 }] }', /all_of\.1\.group.*S0QA is listed twice/],
    ['a quorum of nobody', '{ all_of: [{ group: S0QA, required: 0 }] }', /all_of\.0\.required/],
    ['escalation without a target', '{ required: 1, approvers: [S0QA], escalate_after: 2h }', /escalate_to.*escalation needs both/],
    ['escalation to a channel', '{ required: 1, approvers: [S0QA], escalate_after: 2h, escalate_to: C0OPS }', /escalate_to.*Slack user id/],
  ])('refuses %s with a clear error', (_case, approvals, expected) => {
    expect(problemOf(file(approvals))).toMatch(expected);
  });
});
