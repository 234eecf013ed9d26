import { inForce, type AdHocFreeze } from './ad-hoc-freeze.js';
import type { DeliveryFigures } from './delivery-figures.js';
import type { Lock } from './lock.js';
import { reportRows, type ReportRow } from './delivery-report.js';
import type { EnvironmentPolicy, Policy } from './policy.js';
import type { Instant, Promotion } from './promotion.js';
import { policyFor } from './readiness.js';
import { tally } from './approval-tally.js';
import type { DeployedVersion } from './request.js';

/** App Home lists this many apps per environment; beyond, it counts them. */
export const HOME_APPS_SHOWN = 40;
/** The key numbers of App Home cover this long. */
export const HOME_WINDOW_MS = 30 * 86_400_000;

export interface WaitingPromotion {
  promotion: Promotion;
  /** Approvals that still count, and how many are required (0: none). */
  approvals: number;
  required: number;
  /** Who or what moves it on: the approvers, the calendar, the gates, the deployment. */
  on: WaitingOn;
}

export type WaitingOn =
  | { type: 'approvers'; policy: EnvironmentPolicy['approvals'] }
  | { type: 'window'; at: Instant | null }
  | { type: 'gates' }
  | { type: 'rerun' }
  | { type: 'deployment' }
  | { type: 'shipgate' };

export interface HomeAppLine {
  app: string;
  live: DeployedVersion | null;
  waiting: WaitingPromotion[];
}

export interface EnvironmentDashboard {
  environment: string;
  /** Apps shown, those with something waiting first, then in configuration order. */
  apps: HomeAppLine[];
  /** Every app of the configuration, shown or not. */
  counts: { apps: number; running: number; waiting: number; awaitingApproval: number };
  /** Apps left out beyond HOME_APPS_SHOWN. */
  more: number;
  numbers: ReportRow;
  /** The last rollback deployed here within the window, or null. */
  lastRollback: Promotion | null;
  /** Locks on the environment (or an app in it) in force now. */
  locks: Lock[];
  /** Ad-hoc freezes of the environment in force now. */
  freezes: AdHocFreeze[];
}

/** What stops the line now, as stored: every lock, every ad-hoc freeze. */
export interface StoppedLine {
  locks: readonly Lock[];
  freezes: readonly AdHocFreeze[];
}

function waitingOn(p: Promotion): WaitingOn['type'] {
  switch (p.state) {
    case 'awaiting_approval':
      return 'approvers';
    case 'scheduled':
      return 'window';
    case 'checking':
      return 'gates';
    case 'blocked':
      return 'rerun';
    case 'deploying':
    case 'queued':
      return 'deployment';
    default:
      return 'shipgate';
  }
}

export function waiting(p: Promotion, env: EnvironmentPolicy, now: Instant): WaitingPromotion {
  const policy = policyFor(p, env);
  const type = waitingOn(p);
  const on: WaitingOn = type === 'approvers' ? { type, policy } : type === 'window' ? { type, at: p.scheduledFor } : { type };
  return { promotion: p, approvals: tally(p, policy, now).have, required: policy.required, on };
}

/** The rollback of the environment whose deployment ended last at or after `since`. */
export function lastRollback(promotions: readonly Promotion[], environment: string, since: Instant): Promotion | null {
  let last: Promotion | null = null;
  for (const p of promotions) {
    const end = p.deployment?.finishedAt ?? null;
    if (p.kind !== 'rollback' || p.environment !== environment || end === null || end < since) continue;
    if (p.state !== 'deployed' && p.state !== 'rolled_back') continue;
    if (last === null || end > last.deployment!.finishedAt!) last = p;
  }
  return last;
}

/**
 * App Home per environment: what runs and what waits per app, the last rollback and the
 * key numbers of the window, from one ledger read and one figures read.
 */
export function homeDashboard(
  policy: Policy,
  ledger: { live: ReadonlyMap<string, DeployedVersion>; active: readonly Promotion[] },
  delivery: { figures: DeliveryFigures; promotions: readonly Promotion[] },
  now: Instant,
  stopped: StoppedLine = { locks: [], freezes: [] },
): EnvironmentDashboard[] {
  const apps = [...policy.apps.keys()];
  return [...policy.environments.values()].map((env) => {
    const lines = apps.map((app): HomeAppLine => ({
      app,
      live: ledger.live.get(`${app} ${env.name}`) ?? null,
      waiting: ledger.active.filter((p) => p.app === app && p.environment === env.name).map((p) => waiting(p, env, now)),
    }));
    const shown = [...lines.filter((l) => l.waiting.length > 0), ...lines.filter((l) => l.waiting.length === 0)].slice(0, HOME_APPS_SHOWN);
    return {
      environment: env.name,
      apps: shown,
      counts: {
        apps: lines.length,
        running: lines.filter((l) => l.live !== null).length,
        waiting: lines.reduce((n, l) => n + l.waiting.length, 0),
        awaitingApproval: lines.reduce((n, l) => n + l.waiting.filter((w) => w.on.type === 'approvers').length, 0),
      },
      more: lines.length - shown.length,
      numbers: reportRows(delivery.figures, [env.name], { app: null, environment: env.name })[0]!,
      lastRollback: lastRollback(delivery.promotions, env.name, now - HOME_WINDOW_MS),
      locks: stopped.locks.filter((l) => l.environment === env.name),
      freezes: inForce(stopped.freezes, now).filter((f) => f.environment === env.name),
    };
  });
}
