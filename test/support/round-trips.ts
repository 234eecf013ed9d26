import type { Redis } from 'ioredis';

/**
 * Counts the round trips a client makes from now on: the times it sends something while
 * it waits for nothing, so commands sent together (a pipeline, a transaction, or
 * commands issued at once and awaited together) are one trip, and commands that wait
 * for each other are one trip each. The client must already be connected, so nothing
 * waits in the offline queue.
 */
export function countRoundTrips(redis: Redis): { count(): number; reset(): void } {
  let count = 0;
  let inFlight = 0;
  const track = <T>(reply: Promise<T>): Promise<T> => {
    if (inFlight === 0) count++;
    inFlight++;
    const settled = () => {
      inFlight--;
    };
    reply.then(settled, settled);
    return reply;
  };
  const send = redis.sendCommand.bind(redis);
  // A pipeline hands its commands to sendCommand with a stream of its own: they travel with the pipeline.
  redis.sendCommand = ((command, stream) => {
    const sent = send(command, stream);
    if (!stream) track(command.promise);
    return sent;
  }) as typeof redis.sendCommand;
  for (const method of ['pipeline', 'multi'] as const) {
    const original = (redis[method] as (...args: unknown[]) => { exec: (...args: unknown[]) => Promise<unknown> }).bind(redis);
    (redis as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const batch = original(...args);
      const exec = batch.exec.bind(batch);
      batch.exec = (...execArgs: unknown[]) => track(exec(...execArgs));
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
