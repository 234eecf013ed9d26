/** Many apps promoted into one environment at once: the load of `/promote` under a burst. */
export function loadApps(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `svc${i + 1}`);
}

/**
 * COUNT apps, each promotable into `development` straight away (no path, no approvals),
 * and a `staging` that needs one approval from U0LEAD, for the Approve clicks.
 */
export function loadConfig(count: number) {
  return (deployUrl: string, prefix: string): string => `
slack: { channel: C0LOAD, usergroup_cache: 1s }
apps:
${loadApps(count)
  .map((app) => `  ${app}: { executor: target }`)
  .join('\n')}
environments:
  development: {}
  staging:
    approvals: { required: 1, approvers: [U0LEAD] }
executors:
  target: { type: webhook, url: "${deployUrl}", secret: "\${DEPLOY_SECRET}", timeout: 2s, attempts: 3, backoff: 50ms }
queue: { prefix: "${prefix}", lock_duration: 2s, stalled_interval: 1s }
`;
}
