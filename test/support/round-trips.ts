import type { Redis } from 'ioredis';

/**
 * Counts the round trips a client makes from now on: each command sent on its own, and
 * each pipeline or transaction executed (its commands go in one write). The client must
 * already be connected, so nothing waits in the offline queue.
 */
export function countRoundTrips(redis: Redis): { count(): number; reset(): void } {
  let count = 0;
  const send = redis.sendCommand.bind(redis);
  // A pipeline hands its commands to sendCommand with a stream of its own: those are not separate trips.
  redis.sendCommand = ((command, stream) => {
    if (!stream) count++;
    return send(command, stream);
  }) as typeof redis.sendCommand;
  for (const method of ['pipeline', 'multi'] as const) {
    const original = (redis[method] as (...args: unknown[]) => { exec: (...args: unknown[]) => unknown }).bind(redis);
    (redis as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const batch = original(...args);
      const exec = batch.exec.bind(batch);
      batch.exec = (...execArgs: unknown[]) => {
        count++;
        return exec(...execArgs);
      };
      return batch;
    };
  }
  return {
    count: () => count,
    reset: () => {
      count = 0;
    },
  };
}
