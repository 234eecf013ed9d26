import type { Instant } from '../domain/promotion.js';
import { withoutUserinfo } from '../domain/redact.js';

export type GateVerdict = { status: 'passed' | 'failed' | 'error'; summary: string; evidenceUrl: string | null };

/** The gate cannot decide yet (a soak still under way); ask again at `until`. */
export type GateWait = { status: 'wait'; until: Instant; summary: string };

export interface GateContext {
  promotionId: string;
  app: string;
  version: string;
  environment: string;
  now: Instant;
  signal: AbortSignal;
}

/** One typed check. A run never throws for a failed check: failures and errors are verdicts. */
export interface Gate {
  run(ctx: GateContext): Promise<GateVerdict | GateWait>;
}

/** A problem reaching or reading the gate's target: shown as `error`, distinct from a failed check. */
export class GateError extends Error {}

export const passed = (summary: string, evidenceUrl: string | null): GateVerdict => ({ status: 'passed', summary, evidenceUrl });
export const failed = (summary: string, evidenceUrl: string | null): GateVerdict => ({ status: 'failed', summary, evidenceUrl });

/** `{app}`, `{version}` and `{environment}` in a URL, URL-encoded. */
export function expandUrl(template: string, ctx: Pick<GateContext, 'app' | 'version' | 'environment'>): string {
  return template.replace(/\{(app|version|environment)\}/g, (_m, key: 'app' | 'version' | 'environment') => encodeURIComponent(ctx[key]));
}

export function formatNumber(n: number, digits = 1): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}

/** The evidence link of a gate: its URL as written (secrets as `${NAME}`, no `user:password@`), filled in like the real one. */
export function shownUrl(config: { url: string; shownUrl?: string | undefined }, ctx: Pick<GateContext, 'app' | 'version' | 'environment'>): string {
  return expandUrl(withoutUserinfo(config.shownUrl ?? config.url), ctx);
}
