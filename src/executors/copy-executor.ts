import type { ExecutorConfig } from '../config/schema.js';
import type { Refresh } from '../domain/refresh.js';
import type { DeploymentHandle, DeploymentStatus } from './executor.js';
import type { ExecutorDeps } from './executor-type.js';
import { WebhookExecutor } from './webhook-executor.js';

/** What a copy executor is told about a data refresh. Field names are the webhook contract. */
export interface CopyRequest {
  kind: 'data-refresh';
  /** Also sent as the Idempotency-Key: one refresh, one copy. */
  refresh_id: string;
  dataset: string;
  source_environment: string;
  target_environment: string;
  /** The masking profile the copy must apply on its way into the target. */
  masking_profile: string;
  requested_by: string;
  approved_by: string[];
  reason: string;
}

export function copyRequestFor(r: Refresh): CopyRequest {
  return {
    kind: 'data-refresh',
    refresh_id: r.id,
    dataset: r.dataset,
    source_environment: r.from,
    target_environment: r.to,
    masking_profile: r.masking,
    requested_by: r.requester,
    approved_by: r.approvals.map((a) => a.user),
    reason: r.reason,
  };
}

/**
 * The asynchronous executor contract, for copies: `start` is idempotent on the refresh
 * id and returns at once; `status` is polled with delayed jobs. A finished copy may
 * name the sample of what it wrote (`sampleUrl`), for the masking check.
 */
export interface AsyncCopyExecutor {
  start(request: CopyRequest): Promise<DeploymentHandle>;
  status(handle: string): Promise<DeploymentStatus>;
  cancel?(handle: string): Promise<void>;
}

/** The copy executor of a configured executor; the configuration check allows only types that can copy. */
export function createCopyExecutor(config: ExecutorConfig, _deps: ExecutorDeps): AsyncCopyExecutor {
  if (config.type !== 'webhook') throw new Error(`executor type ${config.type} cannot copy data`);
  const webhook = new WebhookExecutor({ url: config.url, secret: config.secret, timeoutMs: config.timeout });
  return { start: (request) => webhook.startCopy(request), status: (handle) => webhook.status(handle) };
}
