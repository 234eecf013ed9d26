import { parseConfig, type LoadedConfig } from '../config/load-config.js';
import { CHANNELS } from './people.js';

/** The playground's own key prefix; a production Shipgate never uses it. */
export const PLAYGROUND_PREFIX = '{shipgate-playground}';

export interface PlaygroundUrls {
  deployUrl: string;
  gateUrl: string;
}

export interface PlaygroundSecrets {
  deploySecret: string;
  alertToken: string;
}

/**
 * The built-in shipgate.yml: development → staging → production. Staging runs a
 * coverage and a JUnit gate and needs QA; production needs the release manager, keeps
 * a calendar, and only on-call rolls it back; Alertmanager may post alerts with a token.
 */
export function playgroundYaml(urls: PlaygroundUrls, prefix: string): string {
  return `
slack: { channel: ${CHANNELS.deploys.id}, usergroup_cache: 5s }
apps:
  web: { executor: target }
environments:
  development: {}
  staging:
    from: development
    gates: [coverage, junit]
    approvals: { required: 1, approvers: [S0QA] }
  production:
    from: staging
    channel: ${CHANNELS.production.id}
    calendar: production
    approvals: { required: 1, approvers: [S0RELEASE], self_approval: false, expire_after: 8h }
    rollback: { approvals: { required: 0, approvers: [S0ONCALL] } }
executors:
  target: { type: webhook, url: "${urls.deployUrl}", secret: "\${PLAYGROUND_DEPLOY_SECRET}", timeout: 3s, attempts: 2, backoff: 500ms }
gates:
  coverage: { type: coverage, url: "${urls.gateUrl}/{app}/{version}/coverage-summary.json", min_lines: 80, timeout: 3s }
  junit: { type: junit, url: "${urls.gateUrl}/{app}/{version}/junit.xml", max_failures: 0, timeout: 3s }
alerts:
  alertmanager: { token: "\${PLAYGROUND_ALERT_TOKEN}" }
queue: { prefix: "${prefix}", lock_duration: 10s, stalled_interval: 5s, sweep_every: 5s, shutdown_grace: 2s }
`;
}

export function playgroundConfig(urls: PlaygroundUrls, prefix: string, secrets: PlaygroundSecrets): LoadedConfig {
  return parseConfig(playgroundYaml(urls, prefix), 'playground shipgate.yml (built in)', {
    PLAYGROUND_DEPLOY_SECRET: secrets.deploySecret,
    PLAYGROUND_ALERT_TOKEN: secrets.alertToken,
  });
}

/** The production calendar: open around the clock, unless the freeze scenario writes a freeze. */
export function productionCalendar(freeze: { start: number; end: number } | null): string {
  const local = (instant: number) => new Date(instant).toISOString().slice(0, 19);
  const freezes = freeze ? `freezes:\n  - name: Release freeze\n    start: "${local(freeze.start)}"\n    end: "${local(freeze.end)}"\n` : '';
  return `timezone: UTC\n${freezes}`;
}
