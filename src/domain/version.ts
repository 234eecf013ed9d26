/**
 * A version names one immutable artifact. Accepted: dotted numbers with an optional
 * leading `v` and an optional pre-release or build suffix (`1.4.2`, `v2.0.0-rc.1`,
 * `2026.11.24+build.7`, `42`), or a git commit id (7 to 40 lower-case hex digits, as
 * teams that deploy by commit write it). Words such as `latest` are refused: they do
 * not name one artifact, so they cannot be proven to be the one that passed the
 * previous environment.
 */
const VERSION = /^v?\d+(?:\.\d+){0,3}(?:[-+][0-9A-Za-z][0-9A-Za-z.+-]{0,63})?$/;
const COMMIT = /^[0-9a-f]{7,40}$/;

export function isValidVersion(text: string): boolean {
  return text.length <= 80 && (VERSION.test(text) || COMMIT.test(text));
}

export const VERSION_HINT = 'a version looks like `1.4.2`, `v2.0.0-rc.1`, `2026.11.24+7` or a commit id such as `3f9c2a1`';
