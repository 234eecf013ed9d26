import { standardConfig } from './start-shipgate.js';

export const AM_TOKEN = 'am-token-0123456789abcdef';
export const GENERIC_SECRET = 'generic-secret-0123456789';
export const GRAFANA_SECRET = 'grafana-secret-0123456789';

/** Production rolls back at the click of on-call; alerts come from all three senders. */
export function alertingConfig(auto = '') {
  return (url: string, prefix: string) =>
    standardConfig(
      url,
      prefix,
      `alerts:\n  alertmanager: { token: "${AM_TOKEN}" }\n  grafana: { secret: "${GRAFANA_SECRET}", timestamp_header: X-Grafana-Alerting-Signature-Timestamp }\n  generic: { secret: "${GENERIC_SECRET}" }\n`,
    ).replace('    rollback: { approvals: { required: 1, approvers: [S0ONCALL] } }', `    rollback: { approvals: { required: 0, approvers: [S0ONCALL] }${auto} }`);
}

