import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load-config.js';

const yaml = (gates: string) => `slack: { channel: C0DEPLOYS }
apps:
  web: { executor: hook }
environments:
  development: { gates: [coverage] }
executors:
  hook: { type: webhook, url: "https://deploy:\${DEPLOY_PASSWORD}@deploy.example.com/hook?key=\${DEPLOY_KEY}", secret: "\${HOOK_SECRET}" }
gates:
${gates}`;

const env = { HOOK_SECRET: 's'.repeat(24), DEPLOY_PASSWORD: 'pw-0123456789', DEPLOY_KEY: 'key-0123456789', CI_TOKEN: 'ci-token-0123456789' };

describe('URLs as written', () => {
  it('keeps each URL as written beside its expanded value, without credentials', () => {
    const { config } = parseConfig(yaml('  coverage: { type: coverage, url: "https://ci.example.com/{app}/cov?token=${CI_TOKEN}", min_lines: 80 }\n'), 'shipgate.yml', env);
    const gate = config.gates.coverage!;
    expect(gate.type === 'coverage' && [gate.url, gate.url_as_written]).toEqual(['https://ci.example.com/{app}/cov?token=ci-token-0123456789', 'https://ci.example.com/{app}/cov?token=${CI_TOKEN}']);
    expect(config.executors.hook).toMatchObject({ url: 'https://deploy:pw-0123456789@deploy.example.com/hook?key=key-0123456789', url_as_written: 'https://deploy.example.com/hook?key=${DEPLOY_KEY}' });
  });

  it('never names its own key in an error about a misplaced url', () => {
    try {
      parseConfig(yaml('  coverage: { type: soak, in: development, at_least: 1h, url: "https://x.example.com" }\n'), 'shipgate.yml', env);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/unknown key "url"/);
      expect((error as Error).message).not.toMatch(/url_as_written/);
    }
  });
});
