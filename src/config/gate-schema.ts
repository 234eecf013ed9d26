import { z } from 'zod';
import { PII_KINDS } from '../gates/data-scan-gate.js';
import { duration } from './duration.js';
import { size } from './size.js';

const templateUrl = z.string().refine((u) => {
  try {
    return ['http:', 'https:'].includes(new URL(u.replace(/\{(app|version|environment)\}/g, 'x')).protocol);
  } catch {
    return false;
  }
}, 'expected an http or https URL ({app}, {version} and {environment} are filled in)');

/** Filled in by the loader: the URL as written in shipgate.yml, secrets unexpanded, for evidence links. */
const urlAsWritten = { url_as_written: z.string().optional() };

/** Settings every gate has: how long one try may take, how often to retry an error, how large an answer may be. */
const common = {
  timeout: duration.default(60_000),
  retries: z.number().int().min(0).max(10).default(0),
  max_size: size.default(10_000_000),
  headers: z.record(z.string(), z.string()).default({}),
};

export const gateSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('http-json'), url: templateUrl, ...urlAsWritten, expect: z.object({ path: z.string().min(1), equals: z.unknown() }).strict(), ...common }).strict(),
  z.object({ type: z.literal('coverage'), url: templateUrl, ...urlAsWritten, min_lines: z.number().min(0).max(100), ...common }).strict(),
  z.object({ type: z.literal('junit'), url: templateUrl, ...urlAsWritten, max_failures: z.number().int().min(0).default(0), ...common }).strict(),
  z
    .object({ type: z.literal('prometheus'), url: templateUrl, ...urlAsWritten, query: z.string().min(1), below: z.number().optional(), above: z.number().optional(), ...common })
    .strict()
    .refine((g) => g.below !== undefined || g.above !== undefined, { message: 'give `below`, `above` or both', path: ['below'] }),
  z.object({ type: z.literal('data-scan'), url: templateUrl, ...urlAsWritten, forbid: z.array(z.enum(PII_KINDS)).min(1), ...common }).strict(),
  z.object({ type: z.literal('settings'), required: z.array(z.string().min(1)).default([]), ...common }).strict(),
  z.object({ type: z.literal('soak'), in: z.string().min(1), at_least: duration, without_alerts: z.boolean().default(false), ...common }).strict(),
  z.object({ type: z.literal('rollback-rehearsed'), within: duration, environment: z.string().min(1).optional(), ...common }).strict(),
]);

export type GateConfig = z.output<typeof gateSchema>;
