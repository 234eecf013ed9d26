import { parse as parseQuery } from 'node:querystring';

/** Slack's replay window: a signed request more than five minutes away from now, either way, is refused. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/** Slack's deepest payloads (rich text inside view state) stay far below this. */
export const MAX_BODY_DEPTH = 64;

const FORM = 'application/x-www-form-urlencoded';

/**
 * Why the x-slack-request-timestamp header is refused, or null. Bolt refuses stale
 * timestamps only; one from the future would let a captured request be replayed later.
 */
export function timestampProblem(header: string | string[] | undefined, nowMs: number): string | null {
  const seconds = typeof header === 'string' && /^\d{1,12}$/.test(header) ? Number(header) : NaN;
  if (Number.isNaN(seconds)) return 'the request carries no valid x-slack-request-timestamp';
  if (Math.abs(nowMs / 1000 - seconds) > MAX_CLOCK_SKEW_SECONDS) return `the request timestamp is more than ${MAX_CLOCK_SKEW_SECONDS / 60} minutes away from now`;
  return null;
}

/** Whether JSON text nests arrays and objects deeper than MAX, counted without parsing (and without recursion). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

function objectProblem(text: string, what: string): string | null {
  if (nestsDeeperThan(text, MAX_BODY_DEPTH)) return `${what} nests deeper than ${MAX_BODY_DEPTH} levels`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `${what} is not JSON`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${what} is not a JSON object`;
  return null;
}

/**
 * Why a signed body is not something Slack sends, or null. Read the way Bolt reads it
 * (a form with a `payload` field holds JSON; any other content type is JSON), so that
 * whatever passes here is an object Bolt can look into without throwing.
 */
export function bodyProblem(contentType: string | undefined, text: string): string | null {
  if (contentType !== FORM) return objectProblem(text, 'the body');
  const fields = parseQuery(text);
  if (typeof fields.payload === 'string') return objectProblem(fields.payload, 'the payload');
  if (fields.payload !== undefined) return 'the form carries more than one payload';
  if (typeof fields.command !== 'string') return 'the form is neither a slash command nor an interaction payload';
  return null;
}
