import type { Logger } from 'pino';
import type { Promotion } from '../domain/promotion.js';
import { DeployError, type DeploymentHandle, type DeployRequest } from '../executors/executor.js';
import type { ProtectionRuleAnswers } from '../executors/protection-rule-executor.js';
import { GITHUB_REQUESTER, type ReviewTarget } from './protection-request.js';
import { rejectionComment } from './rejection-comment.js';
import type { GitHubReviewClient } from './review-client.js';
import type { ReviewStore } from './review-store.js';

/**
 * The answers Shipgate gives GitHub for the jobs it guards: `approved` when the promotion
 * starts deploying (the github-protection-rule executor), `rejected` when it ends without
 * deploying (settle, after each change), and `rejected` for a request no promotion can
 * come from (refuse). Each promotion's answer is given once.
 */
export class ProtectionRuleReviews implements ProtectionRuleAnswers {
  constructor(
    private readonly store: ReviewStore,
    private readonly client: GitHubReviewClient,
    private readonly log: Logger,
  ) {}

  async approve(request: DeployRequest): Promise<DeploymentHandle> {
    const target = await this.store.target(request.promotion_id);
    if (!target) {
      // A promotion GitHub asked for has its target saved just after it is created: a moment's wait, then it is there.
      if (request.requested_by.startsWith(GITHUB_REQUESTER)) throw new DeployError(`the GitHub request behind ${request.promotion_id} is not recorded yet; trying again.`);
      throw new DeployError(
        `${request.app} deploys to ${request.environment} through GitHub Actions: Shipgate approves the job GitHub asks about and cannot start a deployment itself. Run the workflow in GitHub instead of /promote.`,
        true,
      );
    }
    const handle = handleOf(target);
    const answered = await this.store.answer(request.promotion_id);
    if (answered === 'approved') return handle;
    if (answered === 'rejected') throw new DeployError(`GitHub was already told this job is rejected; re-run the job in GitHub to ask again.`, true);
    const by = request.approved_by.length ? `, approved by ${request.approved_by.join(', ')}` : '';
    await this.client.review(target, 'approved', `Approved by Shipgate ${request.promotion_id}: ${request.app} ${request.version} to ${request.environment}${by}.`);
    await this.store.recordAnswer(request.promotion_id, 'approved');
    this.log.info({ promotion: request.promotion_id, repository: target.repository, environment: target.environmentName }, 'GitHub told approved');
    return handle;
  }

  /** After a change to a promotion GitHub asked for: tells GitHub `rejected` once it ended without deploying. */
  async settle(p: Promotion): Promise<void> {
    const comment = rejectionComment(p);
    if (!comment) return;
    const target = await this.store.target(p.id);
    if (!target || (await this.store.answer(p.id))) return;
    await this.client.review(target, 'rejected', comment);
    await this.store.recordAnswer(p.id, 'rejected');
    this.log.info({ promotion: p.id, state: p.state, repository: target.repository, environment: target.environmentName }, 'GitHub told rejected');
  }

  /** A request Shipgate cannot open a promotion for: GitHub is told why, so its job stops waiting. */
  async refuse(target: ReviewTarget, reason: string): Promise<void> {
    await this.client.review(target, 'rejected', `Shipgate: ${reason}`);
    this.log.info({ repository: target.repository, environment: target.environmentName }, 'GitHub told rejected: no promotion');
  }

  hasTarget(promotionId: string): Promise<boolean> {
    return this.store.hasTarget(promotionId);
  }
}

function handleOf(target: ReviewTarget): DeploymentHandle {
  return { handle: JSON.stringify({ repository: target.repository, run: target.runId, environment: target.environmentName }), link: target.runLink };
}
