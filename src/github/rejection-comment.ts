import type { Promotion } from '../domain/promotion.js';

/**
 * What GitHub is told when a promotion it asked for ends without deploying, or null while
 * GitHub should keep waiting (or was already told `approved`). A blocked promotion counts
 * as ended: GitHub's job cannot wait for a re-run that may never come, so it is rejected
 * and the workflow's job is re-run to ask again.
 */
export function rejectionComment(p: Promotion): string | null {
  const by = p.ending ? ` by ${p.ending.user}` : '';
  const why = p.ending?.reason ? `: ${p.ending.reason}` : '';
  const head = `Shipgate ${p.id} (${p.app} ${p.version} to ${p.environment})`;
  switch (p.state) {
    case 'rejected':
      return `${head} was rejected${by}${why || ' (no reason given)'}.`;
    case 'cancelled':
      return `${head} was cancelled${by}${why}.`;
    case 'superseded':
      return `${head} was set aside${why}.`;
    case 'failed':
      return `${head} failed${p.deployment?.error ? `: ${p.deployment.error}` : ''}.`;
    case 'blocked': {
      const failed = Object.entries(p.gates?.results ?? {}).filter(([, r]) => r.status === 'failed' || r.status === 'error');
      const gates = failed.map(([name, r]) => `${name}: ${r.summary}`).join('; ');
      return `${head} is blocked: ${gates || p.blockedReason || 'a gate did not pass'}. Re-run the job in GitHub to ask again.`;
    }
    default:
      return null;
  }
}
