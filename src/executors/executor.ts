import type { Promotion } from '../domain/promotion.js';

/** What every executor is told about a deployment. Field names are the webhook contract. */
export interface DeployRequest {
  promotion_id: string;
  kind: 'promote' | 'rollback';
  app: string;
  version: string;
  environment: string;
  previous_version: string | null;
  requested_by: string;
  approved_by: string[];
  reason: string;
}

/** Raised for an answer that should be retried later; its message is shown to people, so it holds no secret. */
export class DeployError extends Error {}

export interface Executor {
  /** Resolves when the target accepted the deployment; throws DeployError otherwise. Must be safe to call again. */
  deploy(request: DeployRequest): Promise<void>;
}

export function deployRequestFor(p: Promotion): DeployRequest {
  return {
    promotion_id: p.id,
    kind: p.kind,
    app: p.app,
    version: p.version,
    environment: p.environment,
    previous_version: p.previousVersion,
    requested_by: p.requester,
    approved_by: p.approvals.map((a) => a.user),
    reason: p.reason,
  };
}
