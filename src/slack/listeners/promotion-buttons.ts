import type { App } from '@slack/bolt';
import type { Metrics } from '../../metrics.js';
import type { PromotionService, ServiceResult } from '../../service/promotion-service.js';
import { ACTIONS } from '../actions.js';
import { registerIdButtons } from './id-buttons.js';

type ButtonHandler = (promotionId: string, user: string) => Promise<ServiceResult>;

/** Approve, Reject, Cancel and Roll back: the button value is the promotion id; everything else is read again and re-authorised. */
export function registerPromotionButtons(app: App, promotions: PromotionService, metrics: Metrics) {
  const handlers: Record<string, ButtonHandler> = {
    [ACTIONS.approve]: (id, user) => promotions.approve(id, user),
    [ACTIONS.reject]: (id, user) => promotions.reject(id, user),
    [ACTIONS.cancel]: (id, user) => promotions.cancel(id, user),
    [ACTIONS.rollback]: (id, user) => promotions.rollbackDeployment(id, user),
    [ACTIONS.rerunGates]: (id, user) => promotions.rerunGates(id, user),
  };
  registerIdButtons(app, handlers, metrics);
}
