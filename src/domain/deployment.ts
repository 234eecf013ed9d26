import { accept, unchanged, type Decision, type Effect } from './decision.js';
import type { Instant, Promotion } from './promotion.js';
import type { DeployedVersion } from './request.js';
import type { OpenDrift } from './drift.js';
import { fallbackOf } from './request.js';
import { escapeMrkdwn } from './slack-text.js';
import { decideDrillLegFailed, decideDrillLegSucceeded, legVersion } from './drill.js';

/** A rollback queued behind this deployment may start once it ends, whatever the outcome. */
function releaseQueued(p: Promotion): Effect[] {
  return p.queuedRollback ? [{ type: 'start-queued', promotionId: p.queuedRollback }] : [];
}

/**
 * The deploy job is about to call the executor: the path rule is checked again against
 * what runs in `from` now (it may have been rolled back since the request). The store
 * commits this only if `from` still runs what was read, so the check and the call agree.
 */
export function decideDeployCall(p: Promotion, fromLive: DeployedVersion | null, now: Instant, fromDrift: OpenDrift | null = null): Decision {
  if (p.state !== 'deploying') return unchanged(`Promotion ${p.id} is ${p.state}, not deploying.`);
  if (p.deployment?.calledAt) return unchanged('The executor was already called for this deployment.');
  const moved = fromLive?.version !== p.version;
  if (p.kind === 'promote' && p.from !== null && (moved || fromDrift)) {
    const reason = moved
      ? `${p.from} no longer runs ${p.version} (it runs ${fromLive?.version ?? 'nothing'}), so ${p.version} may not go on to ${p.environment}`
      : `${p.from} has drifted: it runs ${fromDrift!.running}, not ${p.version} that Shipgate deployed there, so ${p.version} may not go on to ${p.environment} until the drift is adopted or rolled back`;
    return accept(
      { ...p, state: 'blocked', deployment: null, blockedReason: reason },
      [{ type: 'deploy_refused', actor: 'shipgate', detail: { reason, from_version: fromLive?.version ?? null, from_running: fromDrift?.running ?? null } }],
      [{ type: 'render' }, { type: 'note', text: `Not deployed: ${escapeMrkdwn(reason)}. Cancel it, or ask again once ${p.from} runs the version.` }, ...releaseQueued(p)],
    );
  }
  return accept(
    { ...p, deployment: { startedAt: p.deployment?.startedAt ?? now, finishedAt: null, error: null, calledAt: now } },
    [{ type: 'deploy_called', actor: 'shipgate', detail: { version: legVersion(p), from_version: fromLive?.version ?? null, ...(p.drill ? { drill_leg: p.drill.leg } : {}) } }],
    [],
  );
}

/** A link for Slack mrkdwn: only http(s), and without the characters that would end or split it. */
export function slackLink(url: string, label: string): string | null {
  return /^https?:\/\//.test(url) ? `<${url.replace(/[<>|]/g, encodeURIComponent)}|${label}>` : null;
}

/**
 * The executor started a deployment that runs on: its handle is kept (so every later
 * poll, from any worker, follows the same one) and its link shown on the message.
 */
export function decideDeploymentRunning(p: Promotion, handle: string, link: string | null, now: Instant): Decision {
  if (p.state !== 'deploying') return unchanged(`Promotion ${p.id} is ${p.state}, not deploying.`);
  if (p.deployment?.handle) return unchanged("The executor's deployment is already recorded.");
  return accept(
    { ...p, deployment: { ...p.deployment, startedAt: p.deployment?.startedAt ?? now, finishedAt: null, error: null, handle, link } },
    [{ type: 'deploy_started_remote', actor: 'shipgate', detail: { version: legVersion(p), link } }],
    [{ type: 'render' }],
  );
}

/** The executor accepted the deployment: the environment now runs the version. */
export function decideDeploymentSucceeded(p: Promotion, now: Instant): Decision {
  if (p.state !== 'deploying') return unchanged(`Promotion ${p.id} is ${p.state}, not deploying.`);
  if (p.kind === 'drill') return decideDrillLegSucceeded(p, now);
  const verb = p.kind === 'rollback' ? 'Rolled back' : 'Deployed';
  const fallback = fallbackOf(p);
  const undone = p.kind === 'rollback' ? (p.undoes ?? (p.previousVersion ? [p.previousVersion] : [])) : [];
  const text = `${verb} ${p.app} to ${p.version} in ${p.environment}.${undone.length ? ` Marked bad here: ${undone.join(', ')}.` : ''}`;
  return accept(
    { ...p, state: 'deployed', deployment: { ...p.deployment, startedAt: p.deployment?.startedAt ?? now, finishedAt: now, error: null } },
    [{ type: 'deployed', actor: 'shipgate', detail: { version: p.version, previous_version: p.previousVersion, marked_bad: undone.join(',') || null } }],
    [
      { type: 'render' },
      fallback !== null ? { type: 'note', text, rollbackTo: fallback } : { type: 'note', text },
      ...(p.kind === 'rollback' && p.rollbackOf ? [{ type: 'mark-rolled-back' as const, promotionId: p.rollbackOf }] : []),
      ...releaseQueued(p),
    ],
    { ledger: { app: p.app, environment: p.environment, version: p.version, promotionId: p.id, at: now, markBad: undone } },
  );
}

/**
 * The executor refused, could not be reached after every retry, the deployment failed or
 * ran out of time, or the job gave up: the reason is kept and shown, with the link to the
 * run when there is one.
 */
export function decideDeploymentFailed(p: Promotion, error: string, now: Instant, link: string | null = null): Decision {
  if (p.state !== 'deploying') return unchanged(`Promotion ${p.id} is ${p.state}, not deploying.`);
  if (p.kind === 'drill') return decideDrillLegFailed(p, error, now);
  const shownLink = link ?? p.deployment?.link ?? null;
  const next: Promotion = { ...p, state: 'failed', deployment: { ...p.deployment, startedAt: p.deployment?.startedAt ?? now, finishedAt: now, error, ...(shownLink ? { link: shownLink } : {}) } };
  return accept(
    next,
    [{ type: 'deploy_failed', actor: 'shipgate', detail: shownLink ? { error, link: shownLink } : { error } }],
    [{ type: 'render' }, { type: 'note', text: `Deployment of ${p.app} ${p.version} to ${p.environment} failed: ${escapeMrkdwn(error)}${seeRun(next)}` }, ...releaseQueued(p)],
  );
}

function seeRun(p: Promotion): string {
  const link = p.deployment?.link ? slackLink(p.deployment.link, 'the run') : null;
  return link ? ` (${link})` : '';
}

/** A later rollback replaced this deployment. */
export function decideRolledBack(p: Promotion, rollback: Pick<Promotion, 'id' | 'requester' | 'version'>, now: Instant): Decision {
  if (p.state !== 'deployed') return unchanged(`Promotion ${p.id} is ${p.state}, not deployed.`);
  return accept(
    { ...p, state: 'rolled_back', ending: { user: rollback.requester, at: now, reason: `rolled back to ${rollback.version} by ${rollback.id}` } },
    [{ type: 'rolled_back', actor: rollback.requester, detail: { rollback: rollback.id, to_version: rollback.version } }],
    [{ type: 'render' }],
  );
}
