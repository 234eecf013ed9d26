import { createPrivateKey, sign } from 'node:crypto';

export interface GitHubAppCredentials {
  id: string;
  privateKey: string;
  installationId: string;
}

/** Asks GitHub for an installation token with a JWT; answers `{ token, expires_at }` or throws a DeployError. */
export type InstallationTokenRequest = (jwt: string) => Promise<{ token: string; expiresAt: number }>;

/**
 * The app's JWT, as GitHub's "Generating a JSON Web Token for a GitHub App" asks: RS256,
 * `iat` 60 seconds in the past (clock drift), `exp` at most 10 minutes later, `iss` the
 * app's id. Signed with node:crypto; no library.
 */
export function appJwt(appId: string, privateKey: string, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat: now - 60, exp: now + 9 * 60, iss: appId })}`;
  const key = createPrivateKey(privateKey.includes('\\n') ? privateKey.replace(/\\n/g, '\n') : privateKey);
  return `${unsigned}.${sign('sha256', Buffer.from(unsigned), key).toString('base64url')}`;
}

/**
 * An installation token, asked for once and reused until five minutes before it
 * expires (GitHub's last one hour), so polling does not mint a token per call.
 */
export class InstallationTokens {
  private cached: { token: string; expiresAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly app: GitHubAppCredentials,
    private readonly request: InstallationTokenRequest,
    private readonly now: () => number,
  ) {}

  async token(): Promise<string> {
    if (this.cached && this.cached.expiresAt - 5 * 60_000 > this.now()) return this.cached.token;
    this.pending ??= this.request(appJwt(this.app.id, this.app.privateKey, this.now()))
      .then((fresh) => {
        this.cached = fresh;
        return fresh.token;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }
}
