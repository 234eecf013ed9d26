import type { DeployedVersion } from './request.js';

/**
 * The last version known good in an environment: the newest one in its deployment
 * history that is not excluded (the version being replaced, versions a rollback is
 * about to undo) and was never undone by a rollback there (marked bad).
 */
export function lastKnownGood(history: readonly DeployedVersion[], bad: ReadonlyMap<string, string>, exclude: readonly string[]): DeployedVersion | null {
  return history.find((h) => !exclude.includes(h.version) && !bad.has(h.version)) ?? null;
}

/**
 * The versions a rollback from `live` to `target` undoes: the live one and every
 * version deployed after the target's latest deployment (history is newest first).
 */
export function versionsUndone(history: readonly DeployedVersion[], live: string, target: string): string[] {
  const undone = new Set<string>([live]);
  for (const h of history) {
    if (h.version === target) break;
    undone.add(h.version);
  }
  undone.delete(target);
  return [...undone];
}
