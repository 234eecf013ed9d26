import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load-config.js';
import { fillVersion, mapProtectionRequest, protectionRuleEvent, type ProtectionRuleEvent } from '../../src/github/protection-request.js';
import { gitHubSignature, hasGitHubSignature } from '../../src/github/webhook-signature.js';

const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const rules = [{ repository: 'acme/web', app: 'web', environments: { staging: 'staging', 'prod-eu': 'production' }, version: '0.0.0+{sha:7}' }];

function event(overrides: Partial<ProtectionRuleEvent> = {}): ProtectionRuleEvent {
  return protectionRuleEvent.parse({
    action: 'requested',
    environment: 'prod-eu',
    deployment_callback_url: 'https://api.github.com/repos/acme/web/actions/runs/4242/deployment_protection_rule',
    deployment: { sha: SHA, ref: 'refs/tags/v1.4.2', payload: { version: '1.4.2', build: 7 } },
    installation: { id: 77 },
    repository: { full_name: 'acme/web', html_url: 'https://github.com/acme/web' },
    sender: { login: 'octocat' },
    ...overrides,
  });
}

describe('a deployment_protection_rule request', () => {
  it('becomes a promotion of the mapped app and environment, asked by the GitHub user', () => {
    const mapped = mapProtectionRequest(event(), rules);
    expect(mapped).toEqual({
      ok: true,
      review: { callbackUrl: 'https://api.github.com/repos/acme/web/actions/runs/4242/deployment_protection_rule', environmentName: 'prod-eu', installationId: '77', repository: 'acme/web', runId: '4242', runLink: 'https://github.com/acme/web/actions/runs/4242' },
      ask: { app: 'web', environment: 'production', version: '0.0.0+a1b2c3d', requester: 'github:octocat', reason: 'GitHub Actions run 4242 of acme/web waits on environment prod-eu (v1.4.2 at a1b2c3d)' },
    });
  });

  it('is refused with what to fix for an unknown repository or environment', () => {
    const other = mapProtectionRequest(event({ repository: { full_name: 'acme/api' } }), rules);
    expect(other).toMatchObject({ ok: false, reason: expect.stringMatching(/^Shipgate has no protection rule for acme\/api: add it under github\.protection_rules/) });
    const unmapped = mapProtectionRequest(event({ environment: 'qa' }), rules);
    expect(unmapped).toMatchObject({ ok: false, reason: expect.stringContaining('maps no environment "qa" of acme/web (it maps staging, prod-eu)') });
  });

  it('fills the version from the sha, the ref or the deployment payload', () => {
    const deployment = event().deployment;
    expect(fillVersion('{sha}', deployment)).toEqual({ ok: true, value: SHA });
    expect(fillVersion('{ref}', deployment)).toEqual({ ok: true, value: 'v1.4.2' });
    expect(fillVersion('{payload.version}+{payload.build}', deployment)).toEqual({ ok: true, value: '1.4.2+7' });
    expect(fillVersion('{payload.missing}', deployment)).toEqual({ ok: false, reason: 'Shipgate could not read the version: the deployment payload has no "missing" (github.protection_rules version is "{payload.missing}").' });
  });
});

describe("GitHub's webhook signature", () => {
  it('accepts exactly the body signed with the secret', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (body, secret) => {
        const signature = gitHubSignature(body, secret);
        expect(hasGitHubSignature(signature, Buffer.from(body), secret)).toBe(true);
        expect(hasGitHubSignature(signature, Buffer.from(`${body} `), secret)).toBe(false);
        expect(hasGitHubSignature(signature, Buffer.from(body), `${secret}x`)).toBe(false);
        expect(hasGitHubSignature(signature.replace('sha256=', 'sha1='), Buffer.from(body), secret)).toBe(false);
      }),
    );
    expect(hasGitHubSignature(undefined, Buffer.from('{}'), 'secret')).toBe(false);
    expect(hasGitHubSignature('sha256=abc', Buffer.from('{}'), 'secret')).toBe(false);
  });
});

describe('the github section of shipgate.yml', () => {
  const config = (mapping: string) => `
slack: { channel: C0DEPLOYS }
apps:
  web: { executor: github }
environments:
  staging: {}
executors:
  github: { type: github-protection-rule }
github:
  app: { id: 12345, private_key: "\${KEY}", webhook_secret: "\${SECRET}" }
  protection_rules:
    - { repository: acme/web, ${mapping} }
`;
  const env = { KEY: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----', SECRET: 'a-webhook-secret-of-some-length' };

  it('reads the mapping, with GitHub.com and {ref} by default', () => {
    const { config: parsed } = parseConfig(config('app: web, environments: { staging: staging }'), 'shipgate.yml', env);
    expect(parsed.github).toMatchObject({ api_url: 'https://api.github.com', app: { id: '12345' }, protection_rules: [{ app: 'web', environments: { staging: 'staging' }, version: '{ref}' }] });
  });

  it('refuses a mapping to an app or environment that does not exist', () => {
    const read = () => parseConfig(config('app: api, environments: { production: production }'), 'shipgate.yml', env);
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/no app called "api"/);
    expect(read).toThrow(/no environment called "production"/);
  });
});
