// A pipelines host environment, and the Microsoft Entra ID token endpoint in front of it.
// Shapes from learn.microsoft.com:
// - "Microsoft identity platform and the OAuth 2.0 client credentials flow" (POST
//   /{tenant}/oauth2/v2.0/token, form fields grant_type, client_id, client_secret, scope;
//   answer { token_type, expires_in, access_token }; errors { error, error_description,
//   error_codes, trace_id, correlation_id }, a wrong secret being `invalid_client` AADSTS7000215).
// - Power Platform "Pipelines table reference" (deploymentpipeline, deploymentstage,
//   deploymentartifact, deploymentstagerun: stagerunstatus, validationstatus, errormessage,
//   validationresults, deploymentsettingsjson) and "Overview of pipelines in Power Platform".
// - Dataverse Web API: "Query data" (`value` arrays, `@odata.context`, `@odata.etag`, $filter,
//   $select), "Create a table row" (204 No Content with an OData-EntityId header), "Use Web API
//   actions" (ValidatePackageAsync, DeployPackageAsync: POST, JSON parameters), "Compose HTTP
//   requests and handle errors" (`{"error": {"code": "0x…", "message": "…"}}`); a request
//   without a bearer token gets 401 with a WWW-Authenticate header and no body.
// The pipeline itself is played by the test: `passValidation`, `failValidation`, `setStatus`.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STAGE_RUN_STATUS, VALIDATION_STATUS } from '../../../src/executors/power-platform-executor.js';
import { readBody } from '../http-server.js';
import { LoopbackFake } from './loopback-fake.js';

export const PP_TENANT = '11111111-2222-3333-4444-555555555555';
export const PP_CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
export const PP_CLIENT_SECRET = 'pp~client~secret~0123456789';

interface Row {
  [column: string]: unknown;
}

export interface StageRunRow extends Row {
  deploymentstagerunid: string;
  name: string;
  _deploymentstageid_value: string;
  _artifactid_value: string | null;
  artifactname: string;
  artifactversion: string;
  stagerunstatus: number;
  validationstatus: number;
  errormessage: string | null;
  validationresults: string | null;
  deploymentsettingsjson: string | null;
}

export interface PpCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
  status: number;
}

const ENTITY_SETS = ['deploymentpipelines', 'deploymentstages', 'deploymentartifacts', 'deploymentstageruns'] as const;
type EntitySet = (typeof ENTITY_SETS)[number];
const KEY: Record<EntitySet, string> = {
  deploymentpipelines: 'deploymentpipelineid',
  deploymentstages: 'deploymentstageid',
  deploymentartifacts: 'deploymentartifactid',
  deploymentstageruns: 'deploymentstagerunid',
};

/** The columns of each table that a filter may name (the table reference's, the few Shipgate reads). */
const COLUMNS: Record<EntitySet, string[]> = {
  deploymentpipelines: ['deploymentpipelineid', 'name'],
  deploymentstages: ['deploymentstageid', 'name', '_deploymentpipelineid_value'],
  deploymentartifacts: ['deploymentartifactid', 'name', 'artifactversion'],
  deploymentstageruns: ['deploymentstagerunid', 'name', '_deploymentstageid_value', '_artifactid_value', 'artifactname', 'artifactversion', 'stagerunstatus', 'validationstatus', 'errormessage', 'validationresults', 'deploymentsettingsjson'],
};

export class FakePowerPlatform extends LoopbackFake {
  readonly calls: PpCall[] = [];
  readonly tokenRequests: Record<string, string>[] = [];
  readonly tables: Record<EntitySet, Row[]> = { deploymentpipelines: [], deploymentstages: [], deploymentartifacts: [], deploymentstageruns: [] };
  /** The next call to PATH (such as `/DeployPackageAsync`) is answered with this status and Dataverse error. */
  readonly failures = new Map<string, { status: number; code: string; message: string }>();
  private readonly issued = new Set<string>();
  private clock = 0;

  reset(): void {
    this.calls.length = 0;
    this.tokenRequests.length = 0;
    for (const set of ENTITY_SETS) this.tables[set].length = 0;
    this.failures.clear();
  }

  /** The token endpoint for the executor's token_url. */
  get tokenUrl(): string {
    return `${this.url}/{tenant}/oauth2/v2.0/token`;
  }

  addPipeline(name: string, stages: string[]): { pipeline: string; stages: Record<string, string> } {
    const pipeline = randomUUID();
    this.insert('deploymentpipelines', { deploymentpipelineid: pipeline, name });
    const ids: Record<string, string> = {};
    for (const stage of stages) {
      ids[stage] = randomUUID();
      this.insert('deploymentstages', { deploymentstageid: ids[stage], name: stage, _deploymentpipelineid_value: pipeline });
    }
    return { pipeline, stages: ids };
  }

  addArtifact(name: string, version: string): string {
    const id = randomUUID();
    this.insert('deploymentartifacts', { deploymentartifactid: id, name, artifactversion: version });
    return id;
  }

  get runs(): StageRunRow[] {
    return this.tables.deploymentstageruns as StageRunRow[];
  }

  run(id: string): StageRunRow {
    const row = this.runs.find((r) => r.deploymentstagerunid === id);
    if (!row) throw new Error(`no stage run ${id}`);
    return row;
  }

  passValidation(id: string): void {
    this.run(id).validationstatus = VALIDATION_STATUS.Succeeded;
  }

  failValidation(id: string, message: string): void {
    const run = this.run(id);
    run.validationstatus = VALIDATION_STATUS.Failed;
    run.stagerunstatus = STAGE_RUN_STATUS.Failed;
    run.errormessage = message;
    run.validationresults = JSON.stringify({ ValidationResults: [{ Type: 'Error', Message: message }] });
  }

  setStatus(id: string, status: number, errormessage: string | null = null): void {
    const run = this.run(id);
    run.stagerunstatus = status;
    run.errormessage = errormessage;
    // A successful run keeps the solution it exported as an artifact, which later stages (and rollbacks) redeploy.
    if (status === STAGE_RUN_STATUS.Succeeded && !run._artifactid_value) run._artifactid_value = this.addArtifact(run.artifactname, run.artifactversion);
  }

  /** Plays the pipeline for every stage run: validation passes, the deployment asked for succeeds. */
  autopilot(): void {
    for (const run of this.runs) {
      if (run.validationstatus === VALIDATION_STATUS.Started) this.passValidation(run.deploymentstagerunid);
      if (run.stagerunstatus === STAGE_RUN_STATUS.Started) this.setStatus(run.deploymentstagerunid, STAGE_RUN_STATUS.Succeeded);
    }
  }

  actionCalls(action: 'ValidatePackageAsync' | 'DeployPackageAsync'): PpCall[] {
    return this.calls.filter((c) => c.method === 'POST' && c.path === `/api/data/v9.2/${action}` && c.status < 300);
  }

  private insert(set: EntitySet, row: Row): void {
    this.clock += 1;
    this.tables[set].push({ ...row, createdon: new Date(Date.UTC(2026, 0, 1) + this.clock * 1000).toISOString(), modifiedon: new Date(Date.UTC(2026, 0, 1) + this.clock * 1000).toISOString() });
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const text = await readBody(req);
    const record = (status: number, body: unknown) => {
      this.calls.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization, body, status });
    };
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record(status, parsed);
      res.writeHead(status, { 'content-type': 'application/json; odata.metadata=minimal', 'odata-version': '4.0', ...headers });
      res.end(JSON.stringify(body));
    };
    const empty = (status: number, headers: Record<string, string> = {}) => {
      record(status, parsed);
      res.writeHead(status, { 'odata-version': '4.0', ...headers });
      res.end();
    };
    const error = (status: number, code: string, message: string) => json(status, { error: { code, message } });
    let parsed: unknown = text;
    try {
      parsed = text && req.headers['content-type']?.includes('json') ? JSON.parse(text) : text;
    } catch {
      return error(400, '0x80048d19', 'Error identified in Payload provided by the user for Entity :\'\', For more information on this error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293');
    }

    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (token) return this.token(req, token[1]!, text, json);

    if (!url.pathname.startsWith('/api/data/v9.2/')) return error(404, '0x80060888', `Resource not found for the segment '${url.pathname}'.`);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !this.issued.has(bearer)) {
      return empty(401, { 'www-authenticate': `Bearer authorization_uri=${this.url}/${PP_TENANT}/oauth2/authorize, resource_id=${this.url}/` });
    }
    const failure = this.failures.get(url.pathname.slice('/api/data/v9.2'.length));
    if (failure) {
      this.failures.delete(url.pathname.slice('/api/data/v9.2'.length));
      return error(failure.status, failure.code, failure.message);
    }
    const segment = url.pathname.slice('/api/data/v9.2/'.length);

    if (req.method === 'POST' && (segment === 'ValidatePackageAsync' || segment === 'DeployPackageAsync')) {
      const body = parsed as { StageRunId?: unknown };
      if (typeof body?.StageRunId !== 'string') return error(400, '0x80040203', `Required parameter 'StageRunId' is missing for the action ${segment}.`);
      const run = this.runs.find((r) => r.deploymentstagerunid === body.StageRunId);
      if (!run) return error(404, '0x80040217', `deploymentstagerun With Id = ${body.StageRunId} Does Not Exist`);
      if (segment === 'ValidatePackageAsync') {
        if (run.validationstatus === VALIDATION_STATUS.NotStarted) run.validationstatus = VALIDATION_STATUS.Started;
        return empty(204);
      }
      if (run.validationstatus !== VALIDATION_STATUS.Succeeded) return error(400, '0x80040265', 'The package must be validated successfully before it can be deployed.');
      if (run.stagerunstatus !== STAGE_RUN_STATUS.NotStarted) return error(400, '0x80040265', 'A deployment is already in progress or complete for this stage run.');
      run.stagerunstatus = STAGE_RUN_STATUS.Started;
      return empty(204);
    }

    const single = /^(\w+)\(([0-9a-f-]{36})\)$/.exec(segment);
    const set = (single?.[1] ?? segment) as EntitySet;
    if (!ENTITY_SETS.includes(set)) return error(404, '0x80060888', `Resource not found for the segment '${segment}'.`);
    const logical = set.slice(0, -1);

    if (req.method === 'GET' && single) {
      const row = this.tables[set].find((r) => r[KEY[set]] === single[2]);
      if (!row) return error(404, '0x80040217', `${logical} With Id = ${single[2]} Does Not Exist`);
      return json(200, { '@odata.context': `${this.url}/api/data/v9.2/$metadata#${set}/$entity`, ...this.shape(row, url) });
    }
    if (req.method === 'GET') {
      const filter = url.searchParams.get('$filter');
      let rows = this.tables[set];
      if (filter !== null) {
        const terms = parseFilter(filter);
        if (!terms) return error(400, '0x80060888', `Syntax error at position 0 in '${filter}'.`);
        const columns = new Set([...COLUMNS[set], 'createdon', 'modifiedon']);
        const unknown = terms.find((t) => !columns.has(t.column));
        if (unknown) return error(400, '0x80060888', `Could not find a property named '${unknown.column}' on type 'Microsoft.Dynamics.CRM.${logical}'.`);
        rows = rows.filter((r) => terms.every((t) => String(r[t.column]) === t.value));
      }
      const order = url.searchParams.get('$orderby');
      if (order) {
        const [column, direction] = order.split(' ');
        rows = [...rows].sort((a, b) => String(a[column!]).localeCompare(String(b[column!])) * (direction === 'desc' ? -1 : 1));
      }
      const top = Number(url.searchParams.get('$top') ?? 5000);
      return json(200, { '@odata.context': `${this.url}/api/data/v9.2/$metadata#${set}`, value: rows.slice(0, top).map((r) => this.shape(r, url)) });
    }
    if (req.method === 'POST' && set === 'deploymentstageruns' && !single) return this.createRun(parsed, error, empty);
    return error(405, '0x80060888', `The HTTP method '${req.method}' is not allowed for the resource '${segment}'.`);
  }

  private token(req: IncomingMessage, tenant: string, text: string, json: (status: number, body: unknown) => void): void {
    const form = Object.fromEntries(new URLSearchParams(text));
    this.tokenRequests.push(form);
    const fail = (status: number, error: string, code: number, description: string) =>
      json(status, { error, error_description: `${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: 2026-01-01 00:00:00Z`, error_codes: [code], trace_id: randomUUID(), correlation_id: randomUUID() });
    if (req.method !== 'POST' || !req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      return fail(400, 'invalid_request', 900144, "AADSTS900144: The request body must contain the following parameter: 'grant_type'.");
    }
    if (tenant !== PP_TENANT) return fail(400, 'invalid_request', 90002, `AADSTS90002: Tenant '${tenant}' not found.`);
    if (form.grant_type !== 'client_credentials') return fail(400, 'unsupported_grant_type', 70003, 'AADSTS70003: The app requested an unsupported grant type.');
    if (form.client_id !== PP_CLIENT_ID) return fail(400, 'unauthorized_client', 700016, `AADSTS700016: Application with identifier '${form.client_id}' was not found in the directory.`);
    if (form.client_secret !== PP_CLIENT_SECRET) {
      return fail(401, 'invalid_client', 7000215, `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${PP_CLIENT_ID}'.`);
    }
    if (form.scope !== `${this.url}/.default`) return fail(400, 'invalid_scope', 1002012, `AADSTS1002012: The provided value for scope ${form.scope} is not valid.`);
    const accessToken = `eyJ0eXAiOiJKV1Qi.${randomUUID()}`;
    this.issued.add(accessToken);
    json(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken });
  }

  private createRun(body: unknown, error: (s: number, c: string, m: string) => void, empty: (s: number, h?: Record<string, string>) => void): void {
    const b = (body ?? {}) as Record<string, unknown>;
    const stage = /^\/deploymentstages\(([0-9a-f-]{36})\)$/.exec(String(b['deploymentstageid@odata.bind'] ?? ''))?.[1];
    if (!stage || !this.tables.deploymentstages.some((s) => s.deploymentstageid === stage)) {
      return error(400, '0x80048d19', "A record with the specified key values does not exist in deploymentstage entity (deploymentstageid@odata.bind).");
    }
    if (typeof b.artifactname !== 'string' || !b.artifactname) return error(400, '0x80040203', "Attribute 'artifactname' cannot be empty.");
    const known = new Set(['name', 'deploymentstageid@odata.bind', 'artifactid@odata.bind', 'artifactname', 'artifactversion', 'deploymentsettingsjson']);
    const extra = Object.keys(b).find((k) => !known.has(k));
    if (extra) return error(400, '0x80048d19', `Invalid property '${extra}' was found in entity 'Microsoft.Dynamics.CRM.deploymentstagerun'.`);
    const artifact = b['artifactid@odata.bind'] === undefined ? null : /^\/deploymentartifacts\(([0-9a-f-]{36})\)$/.exec(String(b['artifactid@odata.bind']))?.[1];
    if (artifact === undefined || (artifact && !this.tables.deploymentartifacts.some((a) => a.deploymentartifactid === artifact))) {
      return error(400, '0x80048d19', 'A record with the specified key values does not exist in deploymentartifact entity (artifactid@odata.bind).');
    }
    if (b.deploymentsettingsjson !== undefined) {
      try {
        const settings = JSON.parse(String(b.deploymentsettingsjson)) as { EnvironmentVariables?: unknown[]; ConnectionReferences?: unknown[] };
        const ok =
          (settings.EnvironmentVariables ?? []).every((v) => typeof (v as Row).SchemaName === 'string' && typeof (v as Row).Value === 'string') &&
          (settings.ConnectionReferences ?? []).every((v) => typeof (v as Row).LogicalName === 'string' && typeof (v as Row).ConnectionId === 'string');
        if (!ok) throw new Error('shape');
      } catch {
        return error(400, '0x80040265', 'The deployment settings are not valid JSON of EnvironmentVariables [{SchemaName, Value}] and ConnectionReferences [{LogicalName, ConnectionId}].');
      }
    }
    const id = randomUUID();
    this.insert('deploymentstageruns', {
      deploymentstagerunid: id,
      name: typeof b.name === 'string' ? b.name : '',
      _deploymentstageid_value: stage,
      _artifactid_value: artifact,
      artifactname: b.artifactname,
      artifactversion: typeof b.artifactversion === 'string' ? b.artifactversion : '',
      stagerunstatus: STAGE_RUN_STATUS.NotStarted,
      validationstatus: VALIDATION_STATUS.NotStarted,
      errormessage: null,
      validationresults: null,
      deploymentsettingsjson: typeof b.deploymentsettingsjson === 'string' ? b.deploymentsettingsjson : null,
    });
    empty(204, { 'odata-entityid': `${this.url}/api/data/v9.2/deploymentstageruns(${id})` });
  }

  /** A row as Dataverse returns it: the $select columns (all when none) and its etag. */
  private shape(row: Row, url: URL): Row {
    const select = url.searchParams.get('$select')?.split(',');
    const shown = select ? Object.fromEntries(select.map((c) => [c, row[c] ?? null])) : { ...row };
    return { '@odata.etag': `W/"${String(row.modifiedon).length}${this.clock}"`, ...shown };
  }
}

/** `a eq 'x' and b eq 1` and nothing more: what the executor sends. */
function parseFilter(filter: string): { column: string; value: string }[] | null {
  const terms: { column: string; value: string }[] = [];
  for (const part of filter.split(/ and (?=(?:[^']*'[^']*')*[^']*$)/)) {
    const m = /^(\w+) eq (?:'((?:[^']|'')*)'|([0-9a-f-]{36}|\d+))$/.exec(part.trim());
    if (!m) return null;
    terms.push({ column: m[1]!, value: m[2] !== undefined ? m[2].replaceAll("''", "'") : m[3]! });
  }
  return terms;
}
