import { isGroupId, type ApprovalPolicy } from '../domain/policy.js';
import { DirectoryError, type Directory } from './ports.js';

export type Membership = { ok: true; memberOf: string[] } | { ok: false; reason: string };

/**
 * The approver groups of `policy` that contain `user`. Users listed by id need no
 * look-up; a directory failure only matters when the group look-up was needed.
 */
export async function approverGroupsOf(directory: Directory, policy: ApprovalPolicy, user: string): Promise<Membership> {
  if (policy.approvers.includes(user)) return { ok: true, memberOf: [] };
  const memberOf: string[] = [];
  for (const group of policy.approvers.filter(isGroupId)) {
    try {
      if ((await directory.membersOf(group)).has(user)) memberOf.push(group);
    } catch (error) {
      if (error instanceof DirectoryError) return { ok: false, reason: error.message };
      throw error;
    }
  }
  return { ok: true, memberOf };
}
