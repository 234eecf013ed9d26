import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';

export const AUDIT_KEY_VARIABLE = 'SHIPGATE_AUDIT_KEY';
const MIN_BYTES = 32;
const HOW_TO = `set ${AUDIT_KEY_VARIABLE} to a secret of at least ${MIN_BYTES} bytes, the same for every Shipgate process (generate one with: openssl rand -hex 32)`;

/**
 * The secret that keys the audit chains. It is held privately and prints as
 * "[redacted]" in logs, JSON and inspection, so it cannot leak through a logged object.
 */
export class AuditKey {
  readonly #secret: Buffer;

  private constructor(secret: Buffer) {
    this.#secret = secret;
  }

  /** Reads the key from the environment variable's value; the problem is a sentence that says what to set. */
  static fromEnvironment(value: string | undefined): { ok: true; key: AuditKey } | { ok: false; problem: string } {
    if (!value) return { ok: false, problem: `${AUDIT_KEY_VARIABLE} is not set: ${HOW_TO}.` };
    const secret = Buffer.from(value, 'utf8');
    if (secret.length < MIN_BYTES) return { ok: false, problem: `${AUDIT_KEY_VARIABLE} is too short (${secret.length} bytes): ${HOW_TO}.` };
    return { ok: true, key: new AuditKey(secret) };
  }

  /** HMAC-SHA256 of `text` under this key, in hex. */
  mac(text: string): string {
    return createHmac('sha256', this.#secret).update(text).digest('hex');
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'AuditKey [redacted]';
  }
}
