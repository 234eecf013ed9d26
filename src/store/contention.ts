/**
 * Commits conflict when they race on one record or one audit chain's head (each app
 * and environment has its own chain, so only commits on the same one meet). Retrying
 * at once makes busy writers spin against each other; after a few conflicts in a row,
 * a short random pause lets one of them through.
 */
export async function pauseAfterConflict(attempt: number): Promise<void> {
  if (attempt < 2) return;
  const ceiling = Math.min(20, 2 ** (attempt - 1));
  await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/**
 * Runs work one at a time per key within this process, in arrival order. Requests for
 * the same app and environment arriving together on one replica then commit one after
 * the other instead of all reading the same chain head and all but one conflicting,
 * again and again, until some give up. Replicas still meet optimistically, but then
 * only one contender per replica is in the race.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    // The last in line cleans up, so the map holds only keys with work waiting.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

/**
 * How many commit scripts a store ran against how many of them applied: their ratio is
 * the attempts per commit (1.00 when no commit ever had to read again and decide anew).
 */
export class CommitTally {
  attempts = 0;
  commits = 0;

  attempted(applied: boolean): void {
    this.attempts++;
    if (applied) this.commits++;
  }

  get attemptsPerCommit(): number {
    return this.commits === 0 ? 0 : this.attempts / this.commits;
  }
}
