import { DeployError } from './executor.js';

export interface EntraCredentials {
  /** The token endpoint; `{tenant}` is filled in. */
  tokenUrl: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
  /** The resource's `.default` scope, such as `https://org.crm.dynamics.com/.default`. */
  scope: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * A Microsoft Entra ID access token by the client credentials grant (OAuth 2.0, v2.0
 * endpoint), asked for once and reused until a minute before it expires, so polling
 * does not ask for a token per call. A refusal (`invalid_client`: a wrong secret or an
 * expired one) is permanent: trying again cannot help.
 */
export class EntraTokens {
  private cached: { token: string; expiresAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly credentials: EntraCredentials,
    private readonly now: () => number,
  ) {}

  async token(): Promise<string> {
    if (this.cached && this.cached.expiresAt - 60_000 > this.now()) return this.cached.token;
    this.pending ??= this.request().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Forget the token (Dataverse answered 401 with it): the next call asks for a new one. */
  forget(): void {
    this.cached = null;
  }

  private async request(): Promise<string> {
    const { tokenUrl, tenant, clientId, clientSecret, scope } = this.credentials;
    const url = tokenUrl.replaceAll('{tenant}', encodeURIComponent(tenant));
    const shown = tokenUrl.replaceAll('{tenant}', tenant);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope }).toString(),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
      throw new DeployError(`Microsoft Entra ID at ${shown} could not be reached for a token: ${cause}.`);
    }
    const text = await response.text();
    let body: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // A proxy's page: reported below without its text.
    }
    if (response.ok && typeof body.access_token === 'string') {
      const seconds = Number(body.expires_in);
      this.cached = { token: body.access_token, expiresAt: this.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds : 3600) * 1000 };
      return body.access_token;
    }
    // error_description starts with an AADSTS code and a sentence; its trace lines are left out.
    const said = typeof body.error_description === 'string' ? body.error_description.split(/\r?\n/)[0]!.slice(0, 300) : '';
    const code = typeof body.error === 'string' ? body.error : `HTTP ${response.status}`;
    const words = said ? `${code}: ${said}` : code;
    if (code === 'invalid_client' || code === 'unauthorized_client' || code === 'invalid_scope' || code === 'invalid_request') {
      throw new DeployError(
        `Microsoft Entra ID refused Shipgate's client credentials (${words}). Check the executor's tenant, client_id and client_secret (a client secret expires: create a new one under the app registration's "Certificates & secrets").`,
        true,
      );
    }
    throw new DeployError(`Microsoft Entra ID gave no token (${words}); Shipgate will try again.`, response.status < 500 && response.status !== 429);
  }
}
