import type { Logger } from 'pino';
import type { Jobs, PromotionRepository } from './ports.js';
import type { PromotionService } from './promotion-service.js';

export interface SweepReport {
  deployments: number;
  failedDeployments: number;
  gateRuns: number;
  windowChecks: number;
  queuedRollbacks: number;
  messages: number;
  reminders: number;
}

/**
 * Every promotion not yet final is waiting on a person, a window, a soak, or a job.
 * The sweep makes sure the job exists: it queues again what is missing (ids are
 * deterministic, so nothing runs twice) and ends a deployment whose job gave up. It
 * runs when a worker starts and then on a schedule, so nothing stays stuck.
 */
export async function sweep(repository: PromotionRepository, jobs: Jobs, service: PromotionService, log: Logger): Promise<SweepReport> {
  const report: SweepReport = { deployments: 0, failedDeployments: 0, gateRuns: 0, windowChecks: 0, queuedRollbacks: 0, messages: 0, reminders: 0 };
  for (const p of await repository.active()) {
    if (p.state === 'deploying') {
      const failure = await jobs.deployFailure(p);
      if (failure) {
        log.warn({ promotion: p.id, reason: failure }, 'deploy job gave up; the promotion fails');
        await service.deploymentFailed(p.id, failure);
        report.failedDeployments++;
      } else {
        await jobs.deploy(p);
        report.deployments++;
      }
    } else if (p.state === 'checking' && p.gates) {
      await jobs.runGates(p, p.gates.run);
      report.gateRuns++;
    } else if (p.state === 'scheduled' && p.scheduledFor !== null) {
      await jobs.checkWindow(p.id, p.scheduledFor);
      report.windowChecks++;
    } else if (p.state === 'queued') {
      const started = await service.startQueued(p.id);
      if (started.ok) report.queuedRollbacks++;
    }
    for (const r of service.pendingReminders(p)) {
      await jobs.remind(p.id, r.stage, r.at);
      report.reminders++;
    }
    if (p.message.ts === null) {
      await jobs.render(p.id);
      report.messages++;
    }
  }
  return report;
}
