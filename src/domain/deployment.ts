import { accept, unchanged, type Decision } from './decision.js';
import type { Instant, Promotion } from './promotion.js';
import { escapeMrkdwn } from './slack-text.js';

/** The executor accepted the deployment: the environment now runs the version. */
export function decideDeploymentSucceeded(p: Promotion, now: Instant): Decision {
  if (p.state !== 'deploying') return unchanged(`Promotion ${p.id} is ${p.state}, not deploying.`);
  const verb = p.kind === 'rollback' ? 'Rolled back' : 'Deployed';
  return accept(
    { ...p, state: 'deployed', deployment: { startedAt: p.deployment?.startedAt ?? now, finishedAt: now, error: null } },
    [{ type: 'deployed', actor: 'shipgate', detail: { version: p.version, previous_version: p.previousVersion } }],
    [
      { type: 'render' },
      p.previousVersion !== null
        ? { type: 'note', text: `${verb} ${p.app} to ${p.version} in ${p.environment}.`, rollbackTo: p.previousVersion }
        : { type: 'note', text: `${verb} ${p.app} to ${p.version} in ${p.environment}.` },
    ],
    { ledger: { app: p.app, environment: p.environment, version: p.version, promotionId: p.id, at: now } },
  );
}

/** The executor refused or could not be reached after every retry. */
export function decideDeploymentFailed(p: Promotion, error: string, now: Instant): Decision {
  if (p.state !== 'deploying') return unchanged(`Promotion ${p.id} is ${p.state}, not deploying.`);
  return accept(
    { ...p, state: 'failed', deployment: { startedAt: p.deployment?.startedAt ?? now, finishedAt: now, error } },
    [{ type: 'deploy_failed', actor: 'shipgate', detail: { error } }],
    [{ type: 'render' }, { type: 'note', text: `Deployment of ${p.app} ${p.version} to ${p.environment} failed: ${escapeMrkdwn(error)}` }],
  );
}

/** A later rollback replaced this deployment. */
export function decideRolledBack(p: Promotion, rollback: Promotion, now: Instant): Decision {
  if (p.state !== 'deployed') return unchanged(`Promotion ${p.id} is ${p.state}, not deployed.`);
  return accept(
    { ...p, state: 'rolled_back', ending: { user: rollback.requester, at: now, reason: `rolled back to ${rollback.version} by ${rollback.id}` } },
    [{ type: 'rolled_back', actor: rollback.requester, detail: { rollback: rollback.id, to_version: rollback.version } }],
    [{ type: 'render' }],
  );
}
