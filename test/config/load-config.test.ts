import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load-config.js';
import { toPolicy } from '../../src/config/to-policy.js';

const base = (environments: string, extra = '') => `slack: { channel: C0DEPLOYS }
apps:
  web: { executor: hook }
environments:
${environments}
executors:
  hook: { type: webhook, url: "https://deploy.example.com/hook", secret: "\${HOOK_SECRET}" }
${extra}`;

const env = { HOOK_SECRET: 's'.repeat(24) };

function problemsOf(text: string, vars: Record<string, string> = env): string[] {
  try {
    parseConfig(text, 'shipgate.yml', vars);
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('shipgate.yml', () => {
  it('turns the documented shape into policies, with durations and defaults', () => {
    const { config, hash } = parseConfig(
      base(`  development: {}
  production:
    from: development
    channel: C0PROD
    approvals: { required: 2, approvers: [S0REL], expire_after: 4h }
    rollback: { approvals: { required: 1, approvers: [S0ONCALL] } }`),
      'shipgate.yml',
      env,
    );
    const policy = toPolicy(config, hash);
    expect(policy.environments.get('production')).toEqual({
      name: 'production',
      from: 'development',
      channel: 'C0PROD',
      approvals: { required: 2, approvers: ['S0REL'], selfApproval: false, expireAfterMs: 4 * 3600_000 },
      rollback: { required: 1, approvers: ['S0ONCALL'], selfApproval: false, expireAfterMs: null },
      emergency: null,
      calendar: null,
      rollbackRespectsCalendar: false,
      autoRollback: null,
      gates: [],
      // The end of the path: no drills unless it says so.
      rehearsal: { allowed: false, everyMs: null },
    });
    expect(policy.environments.get('development')?.channel).toBe('C0DEPLOYS');
    expect(policy.environments.get('development')?.rehearsal).toEqual({ allowed: true, everyMs: null });
    expect(config.executors.hook).toMatchObject({ secret: env.HOOK_SECRET, attempts: 5, timeout: 10_000 });
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes the file as written, so the hash never depends on a secret', () => {
    const text = base('  development: {}');
    expect(parseConfig(text, 'a', { HOOK_SECRET: 'a'.repeat(20) }).hash).toBe(parseConfig(text, 'a', { HOOK_SECRET: 'b'.repeat(20) }).hash);
  });

  it.each([
    ['a word where a number belongs', base('  production:\n    approvals: { required: two, approvers: [S0REL] }'), 'shipgate.yml:6: environments.production.approvals.required: expected a number'],
    ['an unknown `from`', base('  production: { from: staging }'), 'shipgate.yml:5: environments.production.from: no environment called "staging"'],
    ['a loop in the path', base('  a: { from: b }\n  b: { from: a }'), 'shipgate.yml:5: environments.a.from: the promotion path loops back on itself'],
    ['required approvals with nobody to give them', base('  production:\n    approvals: { required: 1 }'), 'shipgate.yml:6: environments.production.approvals.approvers: 1 approval(s) required but nobody may give them'],
    ['a misspelt key', base('  production: { aprovals: {} }'), 'shipgate.yml:5: environments.production: unknown key "aprovals"'],
    ['a bad duration', base('  production:\n    approvals: { required: 1, approvers: [U1X], expire_after: soon }'), 'shipgate.yml:6: environments.production.approvals.expire_after: expected a duration such as 90s, 30m, 4h or 2d, got "soon"'],
    ['a channel name instead of an id', base('  production: { channel: "#deploys" }'), 'shipgate.yml:5: environments.production.channel: expected a Slack channel id (C…)'],
    ['an unknown gate', base('  production: { gates: [tests] }'), 'shipgate.yml:5: environments.production.gates.0: no gate called "tests"'],
    [
      'a gate without a limit',
      base('  production: { gates: [perf] }', 'gates:\n  perf: { type: prometheus, url: "http://prom:9090", query: "up" }'),
      'shipgate.yml:9: gates.perf.below: give `below`, `above` or both',
    ],
    [
      'a gate of an unknown type',
      base('  production: {}', 'gates:\n  scan: { type: virus-scan, url: "http://x" }'),
      'shipgate.yml:9: gates.scan.type: expected one of',
    ],
    [
      'a soak in an unknown environment',
      base('  production: { gates: [soak] }', 'gates:\n  soak: { type: soak, in: staging, at_least: 2h }'),
      'shipgate.yml:9: gates.soak.in: no environment called "staging"',
    ],
    [
      'a rollback-rehearsed gate in an unknown environment',
      base('  production: { gates: [rehearsed] }', 'gates:\n  rehearsed: { type: rollback-rehearsed, within: 30d, environment: staging }'),
      'shipgate.yml:9: gates.rehearsed.environment: no environment called "staging"',
    ],
    ['drills scheduled where they are forbidden', base('  production:\n    rehearsal: { allow: false, every: 30d }'), 'environments.production.rehearsal.every: drills are scheduled here but `allow: false` forbids them'],
    ['an unknown executor', base('  production: {}').replace('executor: hook', 'executor: argo'), 'shipgate.yml:3: apps.web.executor: no executor called "argo"'],
    [
      'an emergency policy that needs no approval',
      base('  production:\n    approvals: { required: 1, approvers: [S0REL] }\n    emergency: { approvals: { required: 0, approvers: [S0REL] } }'),
      'environments.production.emergency.approvals.required: --emergency bypasses the calendar, never approvals: require at least 1 approval',
    ],
    [
      'a rollback section that names nobody anywhere',
      base('  production:\n    rollback: { approvals: { required: 0 } }'),
      'environments.production.rollback.approvals.approvers: a rollback policy needs people who may roll back',
    ],
  ])('refuses %s with file, line and path', (_case, text, expected) => {
    expect(problemsOf(text).join('\n')).toContain(expected);
  });

  it('refuses a secret missing from the environment, naming the variable and the line', () => {
    expect(problemsOf(base('  development: {}'), {})).toEqual(['shipgate.yml:7: environment variable HOOK_SECRET is not set (the configuration reads it with ${HOOK_SECRET})']);
  });

  it('refuses YAML that does not parse, with its line', () => {
    expect(problemsOf('apps:\n  web: [unclosed\n')[0]).toMatch(/^shipgate\.yml:\d+: /);
  });
});
