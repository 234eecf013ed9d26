import { isGroupId, type ApprovalPolicy } from '../domain/policy.js';
import { DirectoryError, type Directory } from './ports.js';

/** The groups known to contain the user, and why others could not be checked (a free Slack plan, a missing group). */
export interface Membership {
  memberOf: string[];
  unknown: string | null;
}

/**
 * The approver groups of `policy` that contain `user`. Users listed by id need no
 * look-up; a directory failure is passed on, for the decision to say only if it matters.
 */
export async function approverGroupsOf(directory: Directory, policy: ApprovalPolicy, user: string): Promise<Membership> {
  // all_of places people in groups, so a person listed by id is looked up in the groups too.
  if (policy.approvers.includes(user) && !policy.quorums?.length) return { memberOf: [], unknown: null };
  // Every group is asked at once: a click waits for one look-up, not one per group.
  const groups = policy.approvers.filter(isGroupId);
  const answers = await Promise.allSettled(groups.map((group) => directory.membersOf(group)));
  const memberOf: string[] = [];
  for (const [i, answer] of answers.entries()) {
    if (answer.status === 'fulfilled') {
      if (answer.value.has(user)) memberOf.push(groups[i]!);
    } else if (answer.reason instanceof DirectoryError) {
      return { memberOf, unknown: answer.reason.message };
    } else {
      throw answer.reason;
    }
  }
  return { memberOf, unknown: null };
}
