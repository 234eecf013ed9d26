import type { ExecutorConfig } from '../config/schema.js';
import type { Executor } from './executor.js';
import { WebhookExecutor } from './webhook-executor.js';

/** One case per executor type; a new type is one file and one line here. */
export function createExecutor(config: ExecutorConfig): Executor {
  switch (config.type) {
    case 'webhook':
      return new WebhookExecutor({ url: config.url, secret: config.secret, timeoutMs: config.timeout });
  }
}
