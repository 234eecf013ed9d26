import { z } from 'zod';

const secret = z.string().min(16, 'expected a secret of at least 16 characters (write "${NAME}" to read it from the environment)');

/** The alert webhooks and their credentials; an endpoint without a section answers 404. */
export const alertsSchema = z
  .object({
    app_labels: z.array(z.string().min(1)).min(1).default(['app', 'service']),
    environment_labels: z.array(z.string().min(1)).min(1).default(['environment', 'env']),
    alertmanager: z.object({ token: secret }).strict().optional(),
    grafana: z
      .object({
        token: secret.optional(),
        secret: secret.optional(),
        signature_header: z.string().default('X-Grafana-Alerting-Signature'),
        timestamp_header: z.string().optional(),
      })
      .strict()
      .refine((g) => g.token !== undefined || g.secret !== undefined, { message: 'give a bearer `token`, an HMAC `secret`, or both', path: ['token'] })
      .optional(),
    generic: z
      .object({
        secret,
        // Accept a signature over the body alone, without X-Shipgate-Timestamp: for senders not yet updated; replayable.
        allow_unsigned_timestamp: z.boolean().default(false),
      })
      .strict()
      .optional(),
  })
  .strict()
  .default({ app_labels: ['app', 'service'], environment_labels: ['environment', 'env'] });

export type AlertsConfig = z.output<typeof alertsSchema>;
