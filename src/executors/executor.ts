import type { Promotion } from '../domain/promotion.js';

/**
 * Settings that belong to the target environment alone (kind → name → value): Power
 * Platform `environment_variables` and `connection_references`, Mendix `constants`,
 * OutSystems `site_properties`. Read from shipgate.yml at deploy time, never stored.
 */
export type DeploySettings = Record<string, Record<string, string>>;

/** What every executor is told about a deployment. Field names are the webhook contract. */
export interface DeployRequest {
  promotion_id: string;
  kind: 'promote' | 'rollback';
  app: string;
  version: string;
  environment: string;
  /** The environment the version is promoted from (its declared `from`); null for entry environments and rollbacks. Always set by deployRequestFor. */
  from_environment?: string | null;
  previous_version: string | null;
  requested_by: string;
  approved_by: string[];
  reason: string;
  /** The target environment's settings for this app; absent when shipgate.yml gives none. */
  settings?: DeploySettings;
  /**
   * A leg of a rollback drill (absent otherwise): `back` to the version known good, then
   * `forward` to the one that ran before. Each leg is a `rollback` with a promotion id of
   * its own (`sg-12-back`, `sg-12-forward`), so each has its own Idempotency-Key.
   */
  drill?: { id: string; leg: 'back' | 'forward' };
}

/**
 * Raised for an answer that should be retried later; its message is shown to people, so
 * it holds no secret. `permanent`: trying again cannot help (bad credentials, an unknown
 * workflow, a refused input), so a failed `start` ends the deployment at once.
 */
export class DeployError extends Error {
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
  }
}

export function deployRequestFor(p: Promotion, settings?: DeploySettings): DeployRequest {
  if (p.kind === 'drill' && p.drill) {
    const back = p.drill.leg === 'back';
    return {
      promotion_id: `${p.id}-${p.drill.leg}`,
      kind: 'rollback',
      app: p.app,
      version: back ? p.drill.target : p.version,
      environment: p.environment,
      from_environment: null,
      previous_version: back ? p.version : p.drill.target,
      requested_by: p.requester,
      approved_by: [],
      reason: `rollback drill ${p.id}: ${back ? `back to ${p.drill.target}` : `forward to ${p.version}`}`,
      ...(settings ? { settings } : {}),
      drill: { id: p.id, leg: p.drill.leg },
    };
  }
  return {
    promotion_id: p.id,
    kind: p.kind === 'drill' ? 'rollback' : p.kind,
    app: p.app,
    version: p.version,
    environment: p.environment,
    from_environment: p.from,
    previous_version: p.previousVersion,
    requested_by: p.requester,
    approved_by: p.approvals.map((a) => a.user),
    reason: p.reason,
    // Left out when there are none, so a webhook's body is the same as before settings existed.
    ...(settings ? { settings } : {}),
  };
}

/** Where a deployment stands, as the executor's target reports it. */
export type DeploymentStatus =
  | { state: 'running'; link: string | null; detail?: string }
  /** `sampleUrl`: where a finished copy's sample of what it wrote can be read, when the target names one. */
  | { state: 'succeeded'; link: string | null; sampleUrl?: string }
  /** `reason` is one sentence with the vendor's own words, already redacted; shown in the thread. */
  | { state: 'failed'; reason: string; link: string | null };

/** What `start` returns: enough to ask for the status again from any worker, after any restart. */
export interface DeploymentHandle {
  /** Opaque to Shipgate; stored on the promotion (so it must hold no secret), at most 2 KB. */
  handle: string;
  /** A page a person can open (the workflow run, the Argo CD application), or null. */
  link: string | null;
}

/**
 * The asynchronous executor contract. `start` begins the deployment and returns at once;
 * the deploy job then polls `status` with delayed jobs until it settles or the
 * executor's `timeout` passes; nothing waits on a rollout inside a job.
 *
 * - `start` must be idempotent on `request.promotion_id`: called again for the same
 *   promotion (a worker died after the call), it finds or returns the same deployment,
 *   never starts a second one.
 * - `status` and `current` throw DeployError for a passing fault (retried), and answer
 *   `failed` for a deployment that failed for good.
 */
export interface AsyncExecutor {
  start(request: DeployRequest): Promise<DeploymentHandle>;
  status(handle: string): Promise<DeploymentStatus>;
  /** Stops the deployment if the target can (Argo CD terminate, workflow cancel, LifeTime abort). */
  cancel?(handle: string): Promise<void>;
  /** The version that actually runs, for drift detection; null when unknown. */
  current?(app: string, environment: string): Promise<string | null>;
}
