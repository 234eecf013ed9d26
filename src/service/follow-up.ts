import type { OutboxEntry } from '../store/outbox.js';
import { entryName } from '../store/outbox.js';
import type { Jobs, PromotionRepository } from './ports.js';

/**
 * Turns one outbox entry into the job that does its work. Job ids derive from the
 * entry, so delivering an entry twice queues its job once.
 */
export async function dispatchFollowUp(entry: OutboxEntry, jobs: Jobs, repository: PromotionRepository): Promise<void> {
  const key = entryName(entry);
  if (entry.kind === 'drift') return jobs.renderDrift(entry.app, entry.environment);
  if (entry.kind === 'lock') return jobs.lockLifted(entry.promotionId, key);
  if (entry.kind === 'refresh') {
    const { refreshId: id, effect } = entry;
    if (effect.type === 'copy') return jobs.copyData(id);
    if (effect.type === 'scan') return jobs.scanRefresh(id);
    if (effect.type === 'refresh-note') return jobs.refreshNote(id, key, effect.text);
    return jobs.renderRefresh(id);
  }
  if (entry.kind === 'alert') {
    const effect = entry.effect;
    if (effect.type === 'render-alert') return jobs.renderAlert(entry.alertKey);
    if (effect.type === 'promotion-note') return jobs.alertNote(effect.promotionId, `alert-${entry.alertKey}`, effect.text);
    return jobs.alertRollback(effect.promotionId, entry.alertKey, key);
  }
  const { promotionId: id, effect } = entry;
  switch (effect.type) {
    case 'render':
      return jobs.render(id, effect.at);
    case 'note':
      return jobs.notes(id, key);
    case 'check-window':
      return jobs.checkWindow(id, effect.at);
    case 'remind':
      return jobs.remind(id, effect.stage, effect.at);
    case 'start-queued':
      return jobs.startQueued(effect.promotionId, key);
    case 'mark-rolled-back':
      return jobs.markRolledBack(effect.promotionId, id, key);
    case 'deploy':
    case 'run-gates': {
      const p = (await repository.get(id))?.promotion;
      if (!p) return;
      if (effect.type === 'deploy') return jobs.deploy(p);
      return jobs.runGates(p, effect.run);
    }
  }
}
