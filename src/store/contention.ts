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
