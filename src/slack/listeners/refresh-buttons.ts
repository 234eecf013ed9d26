import type { App } from '@slack/bolt';
import type { Metrics } from '../../metrics.js';
import type { RefreshResult, RefreshService } from '../../service/refresh-service.js';
import { ACTIONS } from '../actions.js';
import { registerIdButtons } from './id-buttons.js';

/** Approve and Reject on a data refresh message: the value is the refresh id; the click is re-authorised against the dataset's approvers. */
export function registerRefreshButtons(app: App, refreshes: RefreshService, metrics: Metrics) {
  const handlers: Record<string, (id: string, user: string) => Promise<RefreshResult>> = {
    [ACTIONS.refreshApprove]: (id, user) => refreshes.approve(id, user),
    [ACTIONS.refreshReject]: (id, user) => refreshes.reject(id, user),
  };
  registerIdButtons(app, handlers, metrics);
}
