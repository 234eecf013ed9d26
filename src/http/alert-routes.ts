import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import getRawBody from 'raw-body';
import type { z } from 'zod';
import { DEFAULT_LABELS, type Alert, type LabelNames } from '../alerts/alert.js';
import { alertmanagerPayload, fromAlertmanager } from '../alerts/alertmanager.js';
import { hasBearer, hasHmac, hasSignature } from '../alerts/credentials.js';
import { fromGeneric, genericPayload } from '../alerts/generic.js';
import { fromGrafana, grafanaPayload } from '../alerts/grafana.js';
import type { AlertsConfig } from '../config/alerts-schema.js';
import type { Received } from '../service/alert-service.js';

export const MAX_ALERT_BODY = 1_000_000;

interface Endpoint<S extends z.ZodType> {
  path: string;
  authenticate: (req: IncomingMessage, body: Buffer) => boolean;
  schema: S;
  toAlerts: (payload: z.output<S>) => Alert[];
}

function reply(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * The alert webhooks. Bolt's custom routes get the raw request, so each endpoint
 * checks its own credentials. Order: size (413), credentials (401), JSON and shape
 * (400), then record; nothing is recorded for a refused request.
 */
export function alertRoutes(config: AlertsConfig, receive: (alerts: Alert[]) => Promise<Received>, now: () => number): CustomRoute[] {
  const names: LabelNames = { app: config.app_labels ?? DEFAULT_LABELS.app, environment: config.environment_labels ?? DEFAULT_LABELS.environment };
  const endpoints: Endpoint<z.ZodType>[] = [];
  if (config.alertmanager) {
    const { token } = config.alertmanager;
    endpoints.push({ path: '/alerts/alertmanager', authenticate: (req) => hasBearer(req.headers, token), schema: alertmanagerPayload, toAlerts: (p) => fromAlertmanager(p as z.output<typeof alertmanagerPayload>, names) });
  }
  if (config.grafana) {
    const g = config.grafana;
    endpoints.push({
      path: '/alerts/grafana',
      authenticate: (req, body) => (g.token !== undefined && hasBearer(req.headers, g.token)) || (g.secret !== undefined && hasHmac(req.headers, body, g.secret, g.signature_header, g.timestamp_header)),
      schema: grafanaPayload,
      toAlerts: (p) => fromGrafana(p as z.output<typeof grafanaPayload>, names),
    });
  }
  if (config.generic) {
    // The same signature as Shipgate's deploy webhook: HMAC over `<timestamp>.<body>`, refused when stale.
    const check = { secret: config.generic.secret, signatureHeader: 'x-shipgate-signature', timestampHeader: 'x-shipgate-timestamp', separator: '.' as const, allowBodyOnly: config.generic.allow_unsigned_timestamp };
    endpoints.push({ path: '/alerts/generic', authenticate: (req, body) => hasSignature(req.headers, body, check), schema: genericPayload, toAlerts: (p) => fromGeneric(p as z.output<typeof genericPayload>, now()) });
  }
  return endpoints.map((endpoint) => ({
    path: endpoint.path,
    method: ['POST'],
    handler: async (req, res) => {
      let body: Buffer;
      try {
        body = await getRawBody(req, { limit: MAX_ALERT_BODY });
      } catch (error) {
        const tooLarge = (error as { type?: string }).type === 'entity.too.large';
        // The rest of the body stays unread, so this connection cannot carry another request: close it.
        return reply(res, tooLarge ? 413 : 400, { error: tooLarge ? `the body is larger than ${MAX_ALERT_BODY / 1_000_000} MB` : 'the body could not be read' }, { connection: 'close' });
      }
      if (!endpoint.authenticate(req, body)) return reply(res, 401, { error: 'missing or wrong credentials' });
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        return reply(res, 400, { error: 'the body is not JSON' });
      }
      const parsed = endpoint.schema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return reply(res, 400, { error: `wrong shape: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}` });
      }
      try {
        reply(res, 200, await receive(endpoint.toAlerts(parsed.data)));
      } catch (error) {
        reply(res, 503, { error: `could not record the alert (${(error as Error).message}); send it again` });
      }
    },
  }));
}
