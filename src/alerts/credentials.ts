import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A signature whose timestamp is further than this from now, either way, is refused as a replay. */
export const MAX_SIGNATURE_AGE_SECONDS = 300;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/** `Authorization: Bearer TOKEN`, compared in constant time. */
export function hasBearer(headers: IncomingHttpHeaders, token: string): boolean {
  const value = header(headers, 'authorization');
  return value !== null && value.startsWith('Bearer ') && safeEqual(value.slice(7).trim(), token);
}

export interface HmacCheck {
  secret: string;
  signatureHeader: string;
  /** The header with the signing time in seconds; the signature then covers `<timestamp><separator><body>`. */
  timestampHeader?: string | undefined;
  /** Grafana signs `timestamp:body`; Shipgate's own webhooks sign `timestamp.body`. */
  separator?: ':' | '.';
  /** Without a timestamp header in the request, accept a signature over the body alone. */
  allowBodyOnly?: boolean;
  /** Seconds since the epoch, from the wall clock: the sender's clock is a wall clock too. */
  nowSeconds?: number;
}

/**
 * Hex HMAC-SHA256, with or without a `sha256=` prefix. With a timestamp header, the
 * signature covers the timestamp and the body, and a timestamp more than five minutes
 * away from now is refused, so a captured request cannot be replayed later.
 */
export function hasSignature(headers: IncomingHttpHeaders, body: Buffer, check: HmacCheck): boolean {
  const given = header(headers, check.signatureHeader)?.replace(/^sha256=/, '');
  if (!given) return false;
  let signed: Buffer = body;
  if (check.timestampHeader) {
    const timestamp = header(headers, check.timestampHeader);
    if (timestamp === null && check.allowBodyOnly) return safeEqual(given, hmacHex(check.secret, body));
    if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
    const now = check.nowSeconds ?? Date.now() / 1000;
    if (Math.abs(now - Number(timestamp)) > MAX_SIGNATURE_AGE_SECONDS) return false;
    signed = Buffer.concat([Buffer.from(`${timestamp}${check.separator ?? ':'}`), body]);
  }
  return safeEqual(given, hmacHex(check.secret, signed));
}

/** Hex HMAC-SHA256 of the body (or of `timestamp:body`), with or without a `sha256=` prefix: Grafana's format. */
export function hasHmac(headers: IncomingHttpHeaders, body: Buffer, secret: string, signatureHeader: string, timestampHeader?: string): boolean {
  return hasSignature(headers, body, { secret, signatureHeader, timestampHeader, separator: ':' });
}

function hmacHex(secret: string, data: Buffer): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}
