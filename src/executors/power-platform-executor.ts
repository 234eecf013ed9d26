import { z } from 'zod';
import { duration } from '../config/duration.js';
import { MAX_SHOWN_DETAIL, redactSecrets } from '../domain/redact.js';
import { EntraTokens } from './entra-token.js';
import { DeployError, type AsyncExecutor, type DeployRequest, type DeploymentHandle, type DeploymentStatus } from './executor.js';
import { commonExecutorKeys, type ExecutorDeps, type ExecutorType } from './executor-type.js';

/**
 * `type: power-platform`. Deploys a solution through Power Platform Pipelines, by the
 * Dataverse Web API of the pipelines host environment (learn.microsoft.com: "Overview
 * of pipelines in Power Platform", the pipelines "table reference", and the Dataverse
 * Web API pages on creating records and calling actions).
 */
export const powerPlatformExecutorSchema = z
  .object({
    type: z.literal('power-platform'),
    /** The pipelines host environment, such as https://org.crm.dynamics.com. */
    url: z.url({ protocol: /^https?$/, error: 'expected the https URL of the pipelines host environment, such as https://org.crm.dynamics.com' }),
    url_as_written: z.string().optional(),
    tenant: z.string().min(1, 'expected the Microsoft Entra tenant id (write "${AZURE_TENANT_ID}")'),
    client_id: z.string().min(1, 'expected the app registration\'s client id (write "${AZURE_CLIENT_ID}")'),
    client_secret: z.string().min(1, 'expected the app registration\'s client secret (write "${AZURE_CLIENT_SECRET}")'),
    token_url: z.string().min(1).default('https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token'),
    /** The pipeline's name in the host (deploymentpipelines.name). */
    pipeline: z.string().min(1),
    /** The solution's unique name: the artifact the pipeline deploys. */
    solution: z.string().min(1),
    /** The pipeline's stage for each Shipgate environment (deploymentstages.name). */
    stages: z.record(z.string(), z.string().min(1)).refine((s) => Object.keys(s).length > 0, 'name at least one stage, such as { production: "Deploy to Prod" }'),
    attempts: commonExecutorKeys.attempts,
    backoff: commonExecutorKeys.backoff,
    poll_every: duration.default(15_000),
    timeout: duration.default(60 * 60_000),
  })
  .strict();

export type PowerPlatformExecutorConfig = z.output<typeof powerPlatformExecutorSchema>;

/**
 * DeploymentStageRun's `stagerunstatus` choice, with the option values of the pipelines
 * table reference. A value not listed here is shown by its number and followed on as
 * running, so an option Microsoft adds later ends at the executor's timeout at worst.
 */
export const STAGE_RUN_STATUS = {
  NotStarted: 200000000,
  Started: 200000001,
  Succeeded: 200000002,
  Failed: 200000003,
  PendingApproval: 200000004,
  Scheduled: 200000005,
  Canceled: 200000006,
} as const;

/** DeploymentStageRun's `validationstatus` choice. */
export const VALIDATION_STATUS = { NotStarted: 200000000, Started: 200000001, Succeeded: 200000002, Failed: 200000003 } as const;

const API = '/api/data/v9.2';
const REQUEST_TIMEOUT_MS = 15_000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface StageRun {
  deploymentstagerunid: string;
  name?: string | null;
  stagerunstatus?: number | null;
  validationstatus?: number | null;
  errormessage?: string | null;
  validationresults?: string | null;
  artifactversion?: string | null;
}

interface Handle {
  run: string;
  promotion_id: string;
  version: string;
}

/** Settings for one environment, as the deploy request carries them (see src/config/app-settings.ts). */
type Settings = DeployRequest['settings'];

/** The stage run's `deploymentsettingsjson`: the shape of a solution's deployment settings file. */
export function deploymentSettingsJson(settings: Settings): string | null {
  const variables = Object.entries(settings?.environment_variables ?? {});
  const references = Object.entries(settings?.connection_references ?? {});
  if (variables.length === 0 && references.length === 0) return null;
  return JSON.stringify({
    EnvironmentVariables: variables.map(([SchemaName, Value]) => ({ SchemaName, Value })),
    ConnectionReferences: references.map(([LogicalName, ConnectionId]) => ({ LogicalName, ConnectionId })),
  });
}

/** The name Shipgate gives a stage run: it ties the run to the promotion, so a second `start` finds it. */
export const stageRunName = (promotionId: string) => `Shipgate ${promotionId}`;

const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

export function createPowerPlatformExecutor(config: PowerPlatformExecutorConfig, deps: Pick<ExecutorDeps, 'now'>): AsyncExecutor {
  const base = config.url.replace(/\/+$/, '');
  const tokens = new EntraTokens(
    { tokenUrl: config.token_url, tenant: config.tenant, clientId: config.client_id, clientSecret: config.client_secret, scope: `${base}/.default` },
    deps.now,
  );
  const redact = (text: string) => redactSecrets(text, [config.client_secret], MAX_SHOWN_DETAIL);
  const linkFor = (run: string) => `${base}/main.aspx?pagetype=entityrecord&etn=deploymentstagerun&id=${run}`;

  async function call(method: string, path: string, doing: string, body?: unknown): Promise<{ json: unknown; entityId: string | null }> {
    const token = await tokens.token();
    let response: Response;
    try {
      response = await fetch(`${base}${API}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          'odata-version': '4.0',
          'odata-maxversion': '4.0',
          ...(method === 'PATCH' ? { 'if-match': '*' } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : redact((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
      throw new DeployError(`The pipelines host ${base} could not be reached to ${doing}: ${cause}.`);
    }
    const text = await response.text();
    if (response.ok) {
      let json: unknown = {};
      try {
        json = text ? JSON.parse(text) : {};
      } catch {
        throw new DeployError(`${base} answered ${response.status} with something other than JSON to ${doing}; check that the executor's url is the pipelines host environment.`, true);
      }
      return { json, entityId: response.headers.get('odata-entityid') };
    }
    if (response.status === 401) tokens.forget();
    throw new DeployError(explain(response.status, redact(dataverseMessage(text)), doing), isPermanent(response.status));
  }

  async function one<T>(path: string, doing: string): Promise<T | null> {
    const { json } = await call('GET', path, doing);
    return ((json as { value?: T[] }).value ?? [])[0] ?? null;
  }

  async function findStage(environment: string): Promise<string> {
    const stageName = config.stages[environment];
    if (!stageName) {
      throw new DeployError(`The Power Platform executor names no pipeline stage for ${environment}. Add it under stages, such as stages: { ${environment}: "Deploy to …" }.`, true);
    }
    const pipeline = await one<{ deploymentpipelineid: string }>(
      `/deploymentpipelines?$select=deploymentpipelineid,name&$filter=${encodeURIComponent(`name eq ${literal(config.pipeline)}`)}`,
      `find pipeline "${config.pipeline}"`,
    );
    if (!pipeline) throw new DeployError(`The pipelines host has no pipeline called "${config.pipeline}". Check the executor's pipeline name (Deployment Pipeline Configuration app → Pipelines).`, true);
    const stage = await one<{ deploymentstageid: string }>(
      `/deploymentstages?$select=deploymentstageid,name&$filter=${encodeURIComponent(`name eq ${literal(stageName)} and _deploymentpipelineid_value eq ${pipeline.deploymentpipelineid}`)}`,
      `find stage "${stageName}"`,
    );
    if (!stage) throw new DeployError(`Pipeline "${config.pipeline}" has no stage called "${stageName}" (the stage for ${environment}). Check the executor's stages.`, true);
    return stage.deploymentstageid;
  }

  async function findRun(stageId: string, promotionId: string): Promise<StageRun | null> {
    return one<StageRun>(
      `/deploymentstageruns?$select=deploymentstagerunid,name,stagerunstatus&$filter=${encodeURIComponent(`name eq ${literal(stageRunName(promotionId))} and _deploymentstageid_value eq ${stageId}`)}`,
      'look for the stage run of this promotion',
    );
  }

  function handleOf(text: string): Handle {
    const parsed = JSON.parse(text) as Partial<Handle>;
    if (!parsed.run || !GUID.test(parsed.run) || !parsed.promotion_id || !parsed.version) throw new DeployError('The Power Platform deployment handle is not one Shipgate wrote.', true);
    return parsed as Handle;
  }

  const getRun = (run: string) =>
    call('GET', `/deploymentstageruns(${run})?$select=deploymentstagerunid,stagerunstatus,validationstatus,errormessage,validationresults,artifactversion`, 'read the stage run').then(
      (r) => r.json as StageRun,
    );

  return {
    async start(request: DeployRequest): Promise<DeploymentHandle> {
      const stageId = await findStage(request.environment);
      const existing = await findRun(stageId, request.promotion_id);
      let run = existing?.deploymentstagerunid ?? null;
      if (!run) {
        // The exact artifact an earlier stage deployed, when there is one; a rollback always finds it.
        const artifact = await one<{ deploymentartifactid: string }>(
          `/deploymentartifacts?$select=deploymentartifactid,name,artifactversion&$orderby=createdon desc&$top=1&$filter=${encodeURIComponent(`name eq ${literal(config.solution)} and artifactversion eq ${literal(request.version)}`)}`,
          `find artifact ${config.solution} ${request.version}`,
        );
        if (!artifact && request.kind === 'rollback') {
          throw new DeployError(`The pipelines host keeps no artifact of ${config.solution} ${request.version}, so it cannot be redeployed. Deploy that version through the pipeline again, or roll back to another one.`, true);
        }
        const settings = deploymentSettingsJson(request.settings);
        const created = await call('POST', '/deploymentstageruns', `create a stage run for ${config.solution} ${request.version}`, {
          name: stageRunName(request.promotion_id),
          'deploymentstageid@odata.bind': `/deploymentstages(${stageId})`,
          artifactname: config.solution,
          artifactversion: request.version,
          ...(artifact ? { 'artifactid@odata.bind': `/deploymentartifacts(${artifact.deploymentartifactid})` } : {}),
          // Written before validation, so validation checks the values this environment will get.
          ...(settings ? { deploymentsettingsjson: settings } : {}),
        });
        run = /\(([0-9a-f-]{36})\)\s*$/i.exec(created.entityId ?? '')?.[1] ?? (created.json as Partial<StageRun>).deploymentstagerunid ?? null;
        if (!run) throw new DeployError('The pipelines host created the stage run but did not say which one (no OData-EntityId header).');
        await call('POST', '/ValidatePackageAsync', `validate ${config.solution} ${request.version}`, { StageRunId: run });
      } else if (existing?.stagerunstatus === STAGE_RUN_STATUS.NotStarted) {
        // Found after a crash between creating and validating: ask for validation again (it is idempotent there).
        const again = await getRun(run);
        if ((again.validationstatus ?? VALIDATION_STATUS.NotStarted) === VALIDATION_STATUS.NotStarted) {
          await call('POST', '/ValidatePackageAsync', `validate ${config.solution} ${request.version}`, { StageRunId: run });
        }
      }
      return { handle: JSON.stringify({ run, promotion_id: request.promotion_id, version: request.version } satisfies Handle), link: linkFor(run) };
    },

    async status(text: string): Promise<DeploymentStatus> {
      const handle = handleOf(text);
      const link = linkFor(handle.run);
      const run = await getRun(handle.run);
      const status = run.stagerunstatus ?? STAGE_RUN_STATUS.NotStarted;
      const validation = run.validationstatus ?? VALIDATION_STATUS.NotStarted;
      if (status === STAGE_RUN_STATUS.Succeeded) return { state: 'succeeded', link };
      // A failed validation also fails the stage run: name the step that failed.
      if (validation === VALIDATION_STATUS.Failed) {
        return { state: 'failed', link, reason: `Power Platform validation of ${config.solution} ${handle.version} failed: ${redact(run.errormessage || validationSummary(run.validationresults) || 'no error message')}` };
      }
      if (status === STAGE_RUN_STATUS.Failed) return { state: 'failed', link, reason: `Power Platform deployment of ${config.solution} ${handle.version} failed: ${redact(run.errormessage || 'no error message')}` };
      if (status === STAGE_RUN_STATUS.Canceled) return { state: 'failed', link, reason: `The Power Platform stage run for ${config.solution} ${handle.version} was canceled${run.errormessage ? `: ${redact(run.errormessage)}` : ''}.` };
      if (validation !== VALIDATION_STATUS.Succeeded) return { state: 'running', link, detail: 'validating the package' };
      if (status === STAGE_RUN_STATUS.NotStarted) {
        try {
          await call('POST', '/DeployPackageAsync', `deploy ${config.solution} ${handle.version}`, { StageRunId: handle.run });
        } catch (error) {
          // Two workers polling at once: the loser finds the deployment under way.
          const again = await getRun(handle.run).catch(() => null);
          if (!again || (again.stagerunstatus ?? STAGE_RUN_STATUS.NotStarted) === STAGE_RUN_STATUS.NotStarted) throw error;
        }
        return { state: 'running', link, detail: 'validated; deployment asked for' };
      }
      return { state: 'running', link, detail: describeStatus(status) };
    },

    async current(_app: string, environment: string): Promise<string | null> {
      const stageId = await findStage(environment);
      const last = await one<StageRun>(
        `/deploymentstageruns?$select=deploymentstagerunid,artifactversion&$orderby=modifiedon desc&$top=1&$filter=${encodeURIComponent(`_deploymentstageid_value eq ${stageId} and stagerunstatus eq ${STAGE_RUN_STATUS.Succeeded}`)}`,
        'read the last successful stage run',
      );
      return last?.artifactversion ?? null;
    },
  };
}

function describeStatus(status: number): string {
  const name = Object.entries(STAGE_RUN_STATUS).find(([, value]) => value === status)?.[0];
  if (name === 'PendingApproval') return 'waiting for an approval in Power Platform';
  if (name === 'Scheduled') return 'scheduled in Power Platform';
  if (name === 'Started') return 'deploying';
  return `stage run status ${name ?? status}`;
}

/** The first failed check of `validationresults` (JSON text written by the host), or null. */
function validationSummary(results: string | null | undefined): string | null {
  if (!results) return null;
  try {
    const parsed = JSON.parse(results) as { ValidationResults?: { Message?: string }[] } | { Message?: string }[];
    const list = Array.isArray(parsed) ? parsed : (parsed.ValidationResults ?? []);
    return list.find((r) => r.Message)?.Message ?? null;
  } catch {
    return results.slice(0, 300);
  }
}

function isPermanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** The message of a Dataverse error body `{"error": {"code", "message"}}`, or the start of any other body. */
function dataverseMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.message === 'string') return typeof body.error.code === 'string' ? `${body.error.code} ${body.error.message}` : body.error.message;
  } catch {
    // Not JSON: a proxy's page, shown as it is, cut short.
  }
  return text.slice(0, 1000);
}

function explain(status: number, said: string, doing: string): string {
  const words = said ? ` (${status}: ${said})` : ` (${status})`;
  if (status === 401) {
    return `The pipelines host refused Shipgate's token${words}. Add the app registration as an application user in the pipelines host environment (Power Platform admin center → Users → App users).`;
  }
  if (status === 403) return `The pipelines host did not let Shipgate ${doing}${words}. Give the application user the Deployment Pipeline Administrator security role in the pipelines host.`;
  return `The pipelines host could not ${doing}${words}.`;
}

/** The `power-platform` executor type, as the registry in create-executor.ts knows it. */
export const powerPlatform: ExecutorType<PowerPlatformExecutorConfig> = {
  type: 'power-platform',
  create: (config, deps) => createPowerPlatformExecutor(config, deps),
  timing: (config) => ({ pollEveryMs: config.poll_every, timeoutMs: config.timeout }),
};
