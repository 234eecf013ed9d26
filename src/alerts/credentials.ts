import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

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

/** Hex HMAC-SHA256 of the body (or of `timestamp:body`), with or without a `sha256=` prefix. */
export function hasHmac(headers: IncomingHttpHeaders, body: Buffer, secret: string, signatureHeader: string, timestampHeader?: string): boolean {
  const given = header(headers, signatureHeader)?.replace(/^sha256=/, '');
  if (!given) return false;
  let signed: Buffer = body;
  if (timestampHeader) {
    const timestamp = header(headers, timestampHeader);
    if (!timestamp || !/^\d+$/.test(timestamp)) return false;
    // A signature older than five minutes is a replay.
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
    signed = Buffer.concat([Buffer.from(`${timestamp}:`), body]);
  }
  return safeEqual(given, createHmac('sha256', secret).update(signed).digest('hex'));
}
