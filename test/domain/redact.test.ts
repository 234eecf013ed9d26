import { describe, expect, it } from 'vitest';
import { redactSecrets, withoutUserinfo } from '../../src/domain/redact.js';

describe('redacting what a target echoes back', () => {
  it('removes tokens, passwords, URL credentials and the given secrets', () => {
    const text = 'denied: Authorization: Bearer eyJhbGciOi.payload.sig, slack xoxb-123-456-abc, xoxp-9-9 and xoxa-2-x; ?password=hunter2&user=me; {"client_secret": "abc123"}; https://ops:pa55@deploy.example.com/x; shh-its-the-secret';
    const shown = redactSecrets(text, ['shh-its-the-secret']);
    for (const leaked of ['eyJhbGciOi', 'xoxb-123', 'xoxp-9', 'xoxa-2', 'hunter2', 'abc123', 'pa55', 'shh-its-the-secret']) expect(shown).not.toContain(leaked);
    expect(shown).toContain('user=me');
    expect(shown).toContain('https://[redacted]@deploy.example.com/x');
  });

  it('cuts to the limit after redacting, so a secret at the edge is not half shown', () => {
    const secret = 'abcdefghijklmnopqrstuvwxyz';
    const shown = redactSecrets(`${'a'.repeat(290)}${secret}`, [secret], 300);
    expect(shown.length).toBeLessThanOrEqual(300);
    expect(shown).not.toContain('abcdefghij');
  });

  it('takes user:password@ out of a URL as written, and nothing else', () => {
    expect(withoutUserinfo('https://ci:${CI_PASSWORD}@ci.example.com/{app}?token=${T}')).toBe('https://ci.example.com/{app}?token=${T}');
    expect(withoutUserinfo('https://ci.example.com/a@b')).toBe('https://ci.example.com/a@b');
  });
});
