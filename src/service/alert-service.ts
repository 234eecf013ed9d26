import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Alert } from '../alerts/alert.js';
import { decideAlert, decideAlertRolledBack, type AlertRecord, type AlertMatch } from '../domain/alerts.js';
import type { Policy } from '../domain/policy.js';
import type { Promotion } from '../domain/promotion.js';
import { AUTOMATIC, fallbackOf } from '../domain/request.js';
import type { AlertStore } from '../store/alert-store.js';
import type { Clock, PromotionRepository } from './ports.js';
import type { PromotionService } from './promotion-service.js';

export interface Received {
  received: number;
  duplicates: number;
}

/** The identity of one firing: the sender, its id for the alert, and when it started. */
export function alertKey(alert: Pick<Alert, 'source' | 'id' | 'startsAt'>): string {
  const id = createHash('sha256').update(alert.id).digest('hex').slice(0, 16);
  return `${alert.source}-${id}-${alert.startsAt}`;
}

/** Alerts in: matched to the promotion that deployed what runs, posted once, resolved in place, rolled back on demand. */
export class AlertService {
  constructor(
    private readonly policy: Policy,
    private readonly defaultChannel: string,
    private readonly store: AlertStore,
    private readonly promotions: PromotionRepository,
    private readonly promotionService: PromotionService,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onRecovered: (seconds: number, automatic: boolean) => void = () => undefined,
  ) {
    promotionService.onRolledBack((original, rollback) => this.rolledBack(original, rollback));
  }

  async receive(alerts: Alert[]): Promise<Received> {
    let received = 0;
    let duplicates = 0;
    for (const alert of alerts) {
      const key = alertKey(alert);
      const env = alert.environment ? this.policy.environments.get(alert.environment) : undefined;
      const known = alert.app !== null && this.policy.apps.has(alert.app) && env !== undefined;
      const match = known ? await this.match(alert.app!, alert.environment!) : { promotionId: null, currentVersion: null, previousVersion: null, deployedAt: null };
      const now = this.clock.now();
      const fresh: AlertRecord = {
        key,
        source: alert.source,
        id: alert.id,
        title: alert.title,
        severity: alert.severity,
        url: alert.url,
        app: alert.app,
        environment: alert.environment,
        startsAt: alert.startsAt,
        receivedAt: now,
        status: 'firing',
        resolvedAt: null,
        match,
        message: { channel: env?.channel ?? this.defaultChannel, ts: null },
        rollback: null,
      };
      const decision = await this.store.transition(key, (existing) => decideAlert(existing, alert, fresh, known ? env!.autoRollback : null, now));
      if (decision.kind === 'unchanged') {
        duplicates++;
        continue;
      }
      received++;
      this.log.info({ alert: key, app: alert.app, environment: alert.environment, status: decision.next.status, promotion: match.promotionId }, 'alert recorded');
    }
    return { received, duplicates };
  }

  /** The rollback an alert's decision asked for (auto_on_alert), run as a follow-up job. */
  async autoRollback(promotionId: string, alertKey: string): Promise<void> {
    const alert = (await this.store.get(alertKey))?.record;
    const outcome = await this.promotionService.rollbackDeployment(promotionId, AUTOMATIC, { automatic: true, reason: `automatic rollback on alert: ${alert?.title ?? alertKey}` });
    if (!outcome.ok) this.log.warn({ alert: alertKey, reason: outcome.reason }, 'automatic rollback not started');
  }

  private async match(app: string, environment: string): Promise<AlertMatch> {
    const live = await this.promotions.current(app, environment);
    if (!live) return { promotionId: null, currentVersion: null, previousVersion: null, deployedAt: null };
    const promotion = live.promotionId ? (await this.promotions.get(live.promotionId))?.promotion : undefined;
    if (!promotion) return { promotionId: null, currentVersion: live.version, previousVersion: null, deployedAt: live.at };
    // Where a rollback would go: the last version known good, never one a rollback undid.
    return { promotionId: promotion.id, currentVersion: live.version, previousVersion: fallbackOf(promotion), deployedAt: live.at };
  }

  /** A rollback of a promotion was deployed: every alert blamed on that promotion says so, and the recovery time is recorded. */
  private async rolledBack(original: string, rollback: Promotion): Promise<void> {
    const now = this.clock.now();
    const automatic = rollback.requester === AUTOMATIC;
    for (const key of await this.store.ofPromotion(original)) {
      const decision = await this.store.transition(key, (existing) =>
        existing ? decideAlertRolledBack(existing, { promotionId: rollback.id, version: rollback.version, automatic }, now) : { kind: 'unchanged', reason: 'gone' },
      );
      if (decision.kind === 'accept') this.onRecovered((now - (decision.next.startsAt || decision.next.receivedAt)) / 1000, automatic);
    }
  }
}
