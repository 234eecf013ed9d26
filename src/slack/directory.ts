import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { DirectoryError, type Directory } from '../service/ports.js';
import type { Keys } from '../store/keys.js';

/** User group members from `usergroups.users.list`, cached in Redis for a short time so clicks stay fast. */
export class SlackDirectory implements Directory {
  constructor(
    private readonly client: WebClient,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly cacheMs: number,
  ) {}

  async membersOf(groupId: string): Promise<ReadonlySet<string>> {
    const cached = await this.redis.get(this.keys.usergroup(groupId));
    if (cached) return new Set(JSON.parse(cached) as string[]);
    let users: string[];
    try {
      users = (await this.client.usergroups.users.list({ usergroup: groupId })).users ?? [];
    } catch (error) {
      throw translate(error, groupId);
    }
    await this.redis.set(this.keys.usergroup(groupId), JSON.stringify(users), 'PX', this.cacheMs);
    return new Set(users);
  }
}

function translate(error: unknown, groupId: string): unknown {
  const code = (error as { data?: { error?: string } }).data?.error;
  if (code === 'plan_upgrade_required') {
    return new DirectoryError(
      `This Slack workspace's plan does not let apps read user groups (plan_upgrade_required), so membership of ${groupId} cannot be checked. List approvers by user id (U…) in shipgate.yml instead.`,
    );
  }
  if (code === 'no_such_subteam' || code === 'subteam_not_found') {
    return new DirectoryError(`User group ${groupId} does not exist in this workspace. Fix the approvers in shipgate.yml.`);
  }
  if (code === 'missing_scope') return new DirectoryError('Shipgate lacks the usergroups:read scope. Reinstall the app from manifest.yml.');
  return error;
}
