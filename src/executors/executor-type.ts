import type { Logger } from 'pino';
import { z } from 'zod';
import { duration } from '../config/duration.js';
import type { AsyncExecutor } from './executor.js';
import type { ProtectionRuleAnswers } from './protection-rule-executor.js';

/** What an executor may use besides its configuration. */
export interface ExecutorDeps {
  log: Logger;
  /** Epoch milliseconds; the wall clock unless a test moves it. */
  now(): number;
  /** GitHub's answers for the github-protection-rule executor; absent without a `github:` section. */
  protectionRule?: ProtectionRuleAnswers;
}

/** How the deploy job drives an executor of this configuration. */
export interface ExecutorTiming {
  /** How long to wait between two `status` calls. */
  pollEveryMs: number;
  /** How long a deployment may run, counted from the first executor call, before it fails (and is cancelled). */
  timeoutMs: number;
}

/**
 * One executor type: its configuration schema (one entry of the `executors` union in
 * src/config/schema.ts) and how to build it. A new type is one file exporting one of
 * these, plus its schema in that union and its entry in src/executors/create-executor.ts.
 */
export interface ExecutorType<C extends { type: string }> {
  type: C['type'];
  create(config: C, deps: ExecutorDeps): AsyncExecutor;
  timing(config: C): ExecutorTiming;
}

/**
 * Keys every executor has: how often a start that failed is tried again (`attempts`,
 * `backoff`, used by the deploy job's retries), and how often a running deployment
 * is polled. Spread into each executor's zod object.
 */
export const commonExecutorKeys = {
  attempts: z.number().int().min(1).max(50).default(5),
  backoff: duration.default(2_000),
  poll_every: duration.default(10_000),
};
