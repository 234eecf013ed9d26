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
  const memberOf: string[] = [];
  for (const group of policy.approvers.filter(isGroupId)) {
    try {
      if ((await directory.membersOf(group)).has(user)) memberOf.push(group);
    } catch (error) {
      if (error instanceof DirectoryError) return { memberOf, unknown: error.message };
      throw error;
    }
  }
  return { memberOf, unknown: null };
}
