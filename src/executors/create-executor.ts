import type { ExecutorConfig } from '../config/schema.js';
import type { AsyncExecutor } from './executor.js';
import type { ExecutorDeps, ExecutorTiming, ExecutorType } from './executor-type.js';
import { argocd } from './argocd-executor.js';
import { githubActions } from './github-actions-executor.js';
import { kubernetes } from './kubernetes-executor.js';
import { mendix } from './mendix-executor.js';
import { outsystems } from './outsystems-executor.js';
import { githubProtectionRule } from './protection-rule-executor.js';
import { webhook } from './webhook-executor.js';
import { powerPlatform } from './power-platform-executor.js';

/** Every executor type by its `type`; a new type is one file, its schema in the config union, and one entry here. */
const TYPES: { [T in ExecutorConfig['type']]: ExecutorType<Extract<ExecutorConfig, { type: T }>> } = {
  webhook,
  'github-actions': githubActions,
  argocd,
  kubernetes,
  mendix,
  outsystems,
  'power-platform': powerPlatform,
  'github-protection-rule': githubProtectionRule,
};

function typeOf<C extends ExecutorConfig>(config: C): ExecutorType<C> {
  return TYPES[config.type] as unknown as ExecutorType<C>;
}

export function createExecutor(config: ExecutorConfig, deps: ExecutorDeps): AsyncExecutor {
  return typeOf(config).create(config, deps);
}

export function executorTiming(config: ExecutorConfig): ExecutorTiming {
  return typeOf(config).timing(config);
}
