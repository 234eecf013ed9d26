import type { Queue } from 'bullmq';
import type { ShipgateConfig } from '../config/schema.js';
import type { ExecutorPool } from '../executors/executor-pool.js';
import type { DeployJob } from './queues.js';

export interface DriftTarget {
  app: string;
  environment: string;
  everyMs: number;
}

const PREFIX = 'drift-';

/** Every app and environment whose executor can report what runs, with its check interval (the environment's, or the default). */
export function driftTargets(config: ShipgateConfig, executors: ExecutorPool): DriftTarget[] {
  const targets: DriftTarget[] = [];
  for (const app of Object.keys(config.apps)) {
    for (const [environment, env] of Object.entries(config.environments)) {
      if (!executors.for(app, environment).current) continue;
      targets.push({ app, environment, everyMs: env.drift?.interval ?? config.drift.interval });
    }
  }
  return targets;
}

/**
 * One BullMQ job scheduler per target (`drift-APP-ENV`, ids without `:`), upserted by
 * every worker at start, so all agree; schedulers of targets no longer configured go.
 */
export async function scheduleDriftChecks(queue: Queue<DeployJob>, targets: DriftTarget[]): Promise<void> {
  const wanted = new Set(targets.map((t) => `${PREFIX}${t.app}-${t.environment}`));
  for (const t of targets) {
    await queue.upsertJobScheduler(`${PREFIX}${t.app}-${t.environment}`, { every: t.everyMs }, { name: 'drift-check', data: { app: t.app, environment: t.environment }, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }
  for (const scheduler of await queue.getJobSchedulers()) {
    const id = scheduler.key;
    if (id.startsWith(PREFIX) && !wanted.has(id)) await queue.removeJobScheduler(id);
  }
}
