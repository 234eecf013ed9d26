import type { TargetFlag } from '../../domain/refresh.js';
import { escapeMrkdwn, slackDate } from './mrkdwn.js';

/** `/promote status`: the environments whose data is not known to be masked, one line each; empty when none. */
export function refreshFlagsText(flags: readonly TargetFlag[]): string {
  return flags
    .map((f) => `:warning: ${escapeMrkdwn(f.environment)} flagged: its ${escapeMrkdwn(f.dataset)} data may not be masked (refresh ${f.refreshId} failed ${slackDate(f.at)}: ${escapeMrkdwn(f.reason)})`)
    .join('\n');
}
