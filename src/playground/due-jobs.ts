import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE } from '../queue/queues.js';

/**
 * Delayed jobs wait in real time; when the playground moves its clock forward, the
 * window checks (and re-renders) planned for an instant that is now past run at once,
 * as they would have had that time really passed.
 */
export async function runDueJobs(connection: Redis, prefix: string, now: number): Promise<number> {
  let promoted = 0;
  for (const name of [QUEUE.deploy, QUEUE.slack]) {
    const queue = new Queue(name, { connection, prefix });
    try {
      for (const job of await queue.getDelayed()) {
        // Window checks carry their instant; a delayed render is only a re-render, so it may run early.
        const at = (job.data as { at?: unknown }).at;
        const due = typeof at === 'number' ? at <= now : name === QUEUE.slack;
        if (!due) continue;
        await job.promote().then(
          () => promoted++,
          () => undefined, // it started or moved meanwhile
        );
      }
    } finally {
      await queue.close();
    }
  }
  return promoted;
}
