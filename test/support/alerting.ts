import { createHmac } from 'node:crypto';
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


/** The headers of a generic alert as the README tells senders to sign it: HMAC over `<timestamp>.<body>`. */
export function genericHeaders(raw: string, secret = GENERIC_SECRET, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-shipgate-timestamp': String(timestamp),
    'x-shipgate-signature': `sha256=${createHmac('sha256', secret).update(`${timestamp}.${raw}`).digest('hex')}`,
  };
}
