import { productionEnvironments, type DatasetPolicy, type RefreshPolicy } from '../domain/refresh.js';
import type { ShipgateConfig } from './schema.js';

/** The domain's view of `datasets:`, with the environments that hold production data and each environment's channel. */
export function toRefreshPolicy(config: ShipgateConfig, configHash: string): RefreshPolicy {
  const datasets = new Map<string, DatasetPolicy>(
    Object.entries(config.datasets).map(([name, d]) => [
      name,
      { name, from: d.from, to: d.to, masking: d.masking, executor: d.executor, approvals: { required: d.required, approvers: d.approvers, selfApproval: false, expireAfterMs: null } },
    ]),
  );
  const environments = Object.entries(config.environments);
  return {
    datasets,
    production: productionEnvironments(environments.map(([name, e]) => ({ name, from: e.from ?? null }))),
    channels: new Map(environments.map(([name, e]) => [name, (e.channel ?? config.slack.channel)!])),
    configHash,
  };
}
