import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * GitHub's webhook signature: `X-Hub-Signature-256: sha256=HEX`, the HMAC-SHA256 of the raw
 * body keyed with the App's webhook secret. Compared in constant time.
 */
export function hasGitHubSignature(header: string | string[] | undefined, body: Buffer, secret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function gitHubSignature(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
