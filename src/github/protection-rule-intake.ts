import type { Logger } from 'pino';
import type { ServiceResult } from '../service/promotion-service.js';
import type { GitHubConfig } from './github-config.js';
import { mapProtectionRequest, type MappedRequest, type ProtectionRuleEvent } from './protection-request.js';
import type { ReviewQueue } from './review-queue.js';
import type { ReviewStore } from './review-store.js';

export interface IntakeAnswer {
  status: number;
  body: Record<string, unknown>;
}

type Ask = Extract<MappedRequest, { ok: true }>['ask'];

/**
 * A `deployment_protection_rule` request, verified: one promotion per delivery, asked for
 * through the ordinary path (gates, calendar, approvals in Slack). A request no promotion
 * can come from (an unmapped environment, a refusal) is answered rejected with the reason.
 */
export class ProtectionRuleIntake {
  constructor(
    private readonly config: GitHubConfig,
    private readonly store: ReviewStore,
    private readonly queue: ReviewQueue,
    private readonly request: (ask: Ask) => Promise<ServiceResult>,
    private readonly log: Logger,
  ) {}

  async receive(delivery: string, event: ProtectionRuleEvent): Promise<IntakeAnswer> {
    const claim = await this.store.claimDelivery(delivery);
    if (!claim.claimed) return { status: 200, body: { duplicate: true, promotion: claim.promotionId } };
    try {
      const mapped = mapProtectionRequest(event, this.config.protection_rules);
      const result = mapped.ok ? await this.request(mapped.ask) : null;
      if (!mapped.ok || !result?.ok || !result.promotion) {
        const reason = !mapped.ok ? mapped.reason : result && !result.ok ? result.reason : 'no promotion was opened.';
        await this.queue.refuse(delivery, mapped.review, reason);
        await this.store.settleDelivery(delivery, null);
        this.log.info({ delivery, repository: mapped.review.repository, environment: event.environment, reason }, 'GitHub protection rule request refused');
        return { status: 202, body: { rejected: reason } };
      }
      const id = result.promotion.id;
      await this.store.saveTarget(id, mapped.review);
      await this.store.settleDelivery(delivery, id);
      // The promotion may have ended before its target was saved (set aside at once): look at it now too.
      await this.queue.settle(id, `${id}-intake`);
      this.log.info({ delivery, promotion: id, repository: mapped.review.repository, environment: event.environment }, 'GitHub protection rule request opened a promotion');
      return { status: 201, body: { promotion: id } };
    } catch (error) {
      await this.store.releaseDelivery(delivery).catch(() => undefined);
      throw error;
    }
  }
}
