import { z } from 'zod';
import type { Alert } from './alert.js';

/** Shipgate's own alert shape, for systems with no integration of their own. */
export const genericPayload = z.object({
  app: z.string().min(1),
  environment: z.string().min(1),
  title: z.string().min(1).max(500),
  severity: z.string().min(1).max(40),
  status: z.enum(['firing', 'resolved']),
  url: z.url().optional(),
  id: z.string().min(1).max(200),
  starts_at: z.iso.datetime({ offset: true }).optional(),
});

export function fromGeneric(payload: z.output<typeof genericPayload>, receivedAt: number): Alert[] {
  const startsAt = payload.starts_at ? Date.parse(payload.starts_at) : null;
  return [
    {
      source: 'generic',
      id: payload.id,
      status: payload.status,
      title: payload.title,
      severity: payload.severity,
      url: payload.url ?? null,
      app: payload.app,
      environment: payload.environment,
      // Without a start time, the id alone names the firing: a redelivery is still recognised.
      startsAt: startsAt ?? 0,
      endsAt: payload.status === 'resolved' ? receivedAt : null,
    },
  ];
}
