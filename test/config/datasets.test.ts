import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load-config.js';
import { toRefreshPolicy } from '../../src/config/to-refresh-policy.js';

const config = (datasets: string, executors = '') => `slack: { channel: C0DEPLOYS }
apps:
  web: { executor: hook }
environments:
  development: {}
  staging: { from: development, channel: C0STAGING }
  production: { from: staging }
executors:
  hook: { type: webhook, url: "https://deploy.example.com/hook", secret: "\${HOOK_SECRET}" }
  copy: { type: webhook, url: "https://copy.example.com/copy", secret: "\${HOOK_SECRET}" }
${executors}
datasets:
${datasets}`;

const env = { HOOK_SECRET: 's'.repeat(24) };

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'shipgate.yml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('datasets in shipgate.yml', () => {
  it('turns a dataset into its refresh policy, with production found at the end of the promotion path', () => {
    const { config: parsed, hash } = parseConfig(
      config(`  customers:
    from: [production]
    to: [staging, development]
    approvers: [S0DBA]
    masking: customers-v2
    executor: copy
    sample: { url: "https://samples.example.com/{dataset}/{environment}.jsonl", forbid: [email, iban] }`),
      'shipgate.yml',
      env,
    );
    expect(parsed.datasets.customers).toMatchObject({ required: 1, sample: { forbid: ['email', 'iban'], retries: 2, timeout: 60_000, max_size: 10_000_000 } });
    const policy = toRefreshPolicy(parsed, hash);
    expect([...policy.production]).toEqual(['production']);
    expect(policy.channels.get('staging')).toBe('C0STAGING');
    expect(policy.channels.get('development')).toBe('C0DEPLOYS');
    expect(policy.datasets.get('customers')).toEqual({
      name: 'customers',
      from: ['production'],
      to: ['staging', 'development'],
      masking: 'customers-v2',
      executor: 'copy',
      approvals: { required: 1, approvers: ['S0DBA'], selfApproval: false, expireAfterMs: null },
    });
  });

  it('says what to fix: production as a target, unknown names, an executor that cannot copy, nobody to approve', () => {
    const problems = problemsOf(
      config(
        `  customers:
    from: [prod]
    to: [staging, production]
    approvers: [U0ONE]
    required: 2
    masking: customers-v2
    executor: argo
  orders:
    from: [production]
    to: [staging]
    approvers: []
    masking: "bad profile"
    executor: nowhere
    sample: { url: "ftp://samples.example.com/x" }`,
        '  argo: { type: argocd, url: "https://argocd.example.com", token: "${HOOK_SECRET}", application: "{app}-{environment}" }',
      ),
    ).join('\n');
    expect(problems).toMatch(/datasets\.customers\.from\.0: no environment called "prod"/);
    expect(problems).toMatch(/datasets\.customers\.to\.1: "production" is at the end of the promotion path, so it holds production data: it can never receive a refresh/);
    expect(problems).toMatch(/datasets\.customers\.executor: executor "argo" is of type argocd, which cannot copy data: use one of type webhook/);
    expect(problems).toMatch(/datasets\.customers\.required: 2 approvals required but only 1 people are listed in approvers/);
    expect(problems).toMatch(/datasets\.orders\.approvers: list who may approve a refresh/);
    expect(problems).toMatch(/datasets\.orders\.masking: expected the name of a masking profile/);
    expect(problems).toMatch(/datasets\.orders\.sample\.url: expected an http or https URL \(\{dataset\}, \{environment\} and \{refresh\} are filled in\)/);
  });
});
