import { executorFor } from '../config/to-policy.js';
import type { ShipgateConfig } from '../config/schema.js';
import type { AsyncExecutor } from './executor.js';
import type { ExecutorDeps } from './executor-type.js';
import { createExecutor } from './create-executor.js';

/** One executor per configured name, built on first use and shared by every job of the process. */
export class ExecutorPool {
  private readonly built = new Map<string, AsyncExecutor>();

  constructor(
    private readonly config: ShipgateConfig,
    private readonly deps: ExecutorDeps,
  ) {}

  /** The executor that deploys APP to ENV. */
  for(app: string, environment: string): AsyncExecutor {
    const { name, executor: config } = executorFor(this.config, app, environment);
    let executor = this.built.get(name);
    if (!executor) {
      executor = createExecutor(config, this.deps);
      this.built.set(name, executor);
    }
    return executor;
  }
}
