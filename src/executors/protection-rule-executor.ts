import { z } from 'zod';
import { DeployError, type AsyncExecutor, type DeploymentHandle, type DeploymentStatus, type DeployRequest } from './executor.js';
import { commonExecutorKeys, type ExecutorType } from './executor-type.js';

/**
 * `github-protection-rule`: the deployment is GitHub's own workflow job, waiting on an
 * environment guarded by Shipgate's custom deployment protection rule. No keys of its own:
 * the GitHub App and the repository mapping are the `github:` section of shipgate.yml.
 */
export const protectionRuleExecutorSchema = z
  .object({
    type: z.literal('github-protection-rule'),
    ...commonExecutorKeys,
  })
  .strict();

export type ProtectionRuleExecutorConfig = z.output<typeof protectionRuleExecutorSchema>;

/** Answers GitHub `approved` for the job behind a promotion (src/github/protection-rule-reviews.ts). */
export interface ProtectionRuleAnswers {
  /** Idempotent on the promotion id: a second call answers nothing new and returns the same handle. */
  approve(request: DeployRequest): Promise<DeploymentHandle>;
}

export const githubProtectionRule: ExecutorType<ProtectionRuleExecutorConfig> = {
  type: 'github-protection-rule',
  create: (_config, deps) => new ProtectionRuleExecutor(deps.protectionRule ?? null),
  // Nothing to poll: the deployment is settled as soon as GitHub is told.
  timing: (config) => ({ pollEveryMs: config.poll_every, timeoutMs: 60_000 }),
};

/**
 * `start` tells GitHub `approved`, and the waiting job goes on to deploy; `status` answers
 * succeeded at once, since from then on the deployment is GitHub's (its success or failure
 * shows in the workflow run, which the promotion links to). Rejections are answered when
 * the promotion ends without deploying, outside the executor.
 */
class ProtectionRuleExecutor implements AsyncExecutor {
  constructor(private readonly answers: ProtectionRuleAnswers | null) {}

  async start(request: DeployRequest): Promise<DeploymentHandle> {
    if (!this.answers) throw new DeployError('The github-protection-rule executor needs the `github:` section (app id, private key, webhook secret) in shipgate.yml.', true);
    return this.answers.approve(request);
  }

  async status(): Promise<DeploymentStatus> {
    return { state: 'succeeded', link: null };
  }
}
