import type { Delegation } from '../../domain/delegation.js';
import { slackDate } from './mrkdwn.js';

/** `/promote delegations`: who approves on whose behalf, where, until when. */
export function delegationsText(delegations: readonly Delegation[]): string {
  if (delegations.length === 0) return 'No delegations are in force.';
  const lines = delegations.map((d) => `• <@${d.delegate}> approves on behalf of <@${d.delegator}> in ${d.environments.join(', ')} until ${slackDate(d.until)}`);
  return ['*Delegations in force*', ...lines].join('\n');
}
