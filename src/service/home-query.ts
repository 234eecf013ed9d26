import { homeDashboard, HOME_WINDOW_MS, type EnvironmentDashboard, type StoppedLine } from '../domain/home-dashboard.js';
import type { Policy } from '../domain/policy.js';
import { readFactsAndFigures, type DeliverySource } from './delivery-report.js';
import type { LedgerReader } from './status-query.js';

/**
 * App Home's data: one pipelined ledger read for every app and environment, and one read
 * of the delivery facts for the figures and the last rollbacks, side by side.
 */
export async function readHome(policy: Policy, readLedgers: LedgerReader, delivery: DeliverySource, readStopped: () => Promise<StoppedLine> = async () => ({ locks: [], freezes: [] })): Promise<EnvironmentDashboard[]> {
  const [ledger, { now, facts, figures }, stopped] = await Promise.all([readLedgers(delivery.pairs), readFactsAndFigures(delivery, HOME_WINDOW_MS), readStopped()]);
  return homeDashboard(policy, ledger, { figures, promotions: facts.promotions }, now, stopped);
}
