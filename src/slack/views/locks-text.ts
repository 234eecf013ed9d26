import type { Lock } from '../../domain/lock.js';
import { lockScope } from '../../domain/lock.js';
import { escapeMrkdwn, slackDate, user } from './mrkdwn.js';

/** The locks in force, one line each, for `/promote status`; empty when there are none. */
export function locksText(locks: readonly Lock[]): string {
  if (locks.length === 0) return '';
  const lines = locks.map((l) => `• :lock: ${escapeMrkdwn(lockScope(l))} locked by ${user(l.owner)} since ${slackDate(l.at)}: ${escapeMrkdwn(l.reason)}`);
  return ['*Locks*', ...lines].join('\n');
}
