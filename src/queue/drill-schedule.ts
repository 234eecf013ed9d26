import type { Queue } from 'bullmq';
import type { ShipgateConfig } from '../config/schema.js';
import type { Policy } from '../domain/policy.js';
import { rehearsalOf } from '../domain/drill.js';
import type { DeployJob } from './queues.js';

export interface DrillTarget {
  app: string;
  environment: string;
  /** How often to look whether a drill is due and the window open. */
  checkEveryMs: number;
}

const PREFIX = 'drill-';

/** Every app in every environment with `rehearsal.every`. */
export function drillTargets(config: ShipgateConfig, policy: Policy): DrillTarget[] {
  const targets: DrillTarget[] = [];
  for (const [environment, env] of policy.environments) {
    const rehearsal = rehearsalOf(env);
    if (!rehearsal.allowed || rehearsal.everyMs === null) continue;
    const checkEveryMs = Math.min(rehearsal.everyMs, config.environments[environment]?.rehearsal?.check_every ?? 15 * 60_000);
    for (const app of policy.apps.keys()) targets.push({ app, environment, checkEveryMs });
  }
  return targets;
}

/**
 * One BullMQ job scheduler per target (`drill-APP-ENV`), upserted by every worker at
 * start: however many workers, each tick is one job. A tick only looks: the drill
 * starts when none ran within the period, the window is open and nothing holds the
 * environment, decided and committed atomically, so two ticks never start two drills.
 */
export async function scheduleDrills(queue: Queue<DeployJob>, targets: DrillTarget[]): Promise<void> {
  const wanted = new Set(targets.map((t) => `${PREFIX}${t.app}-${t.environment}`));
  for (const t of targets) {
    await queue.upsertJobScheduler(`${PREFIX}${t.app}-${t.environment}`, { every: t.checkEveryMs }, { name: 'drill-due', data: { app: t.app, environment: t.environment }, opts: { removeOnComplete: 100, removeOnFail: 100 } });
  }
  for (const scheduler of await queue.getJobSchedulers()) {
    const id = scheduler.key;
    if (id.startsWith(PREFIX) && !wanted.has(id)) await queue.removeJobScheduler(id);
  }
}
