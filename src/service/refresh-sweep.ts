import type { Logger } from 'pino';
import type { Jobs } from './ports.js';
import type { RefreshService } from './refresh-service.js';

/**
 * Every refresh not yet final waits on a person or a job. Like the promotions' sweep, this
 * queues again a copy or scan job that is missing (ids are per refresh, so nothing runs
 * twice), ends a refresh whose job gave up without recording it, and posts a message that
 * was never posted.
 */
export async function sweepRefreshes(refreshes: RefreshService, jobs: Jobs, log: Logger): Promise<number> {
  let touched = 0;
  for (const r of await refreshes.active()) {
    const job = r.state === 'copying' ? 'refresh-copy' : r.state === 'scanning' ? 'refresh-scan' : null;
    if (job) {
      const failure = await jobs.refreshJobFailure(job, r.id);
      if (failure) {
        log.warn({ refresh: r.id, reason: failure }, `${job} job gave up; the refresh fails`);
        await (job === 'refresh-copy' ? refreshes.copyFailed(r.id, failure) : refreshes.scanUnavailable(r.id, `the sample could not be read: ${failure}`));
      } else await (job === 'refresh-copy' ? jobs.copyData(r.id) : jobs.scanRefresh(r.id));
      touched++;
    }
    if (r.message.ts === null) {
      await jobs.renderRefresh(r.id);
      touched++;
    }
  }
  return touched;
}
