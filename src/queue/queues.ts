import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export const QUEUE = { deploy: 'deploy', slack: 'slack' } as const;

/** `deploy` jobs call the executor; `check-window` jobs ask the calendar again at `at`. */
export interface DeployJob {
  promotionId: string;
  at?: number;
}

export type SlackJob = { kind: 'render'; promotionId: string; force: boolean } | { kind: 'note'; promotionId: string; text: string; rollbackTo?: string };

export interface Queues {
  deploy: Queue<DeployJob>;
  slack: Queue<SlackJob>;
  close(): Promise<void>;
}

export function createQueues(connection: Redis, prefix: string): Queues {
  const deploy = new Queue<DeployJob>(QUEUE.deploy, { connection, prefix });
  const slack = new Queue<SlackJob>(QUEUE.slack, { connection, prefix });
  return {
    deploy,
    slack,
    async close() {
      await Promise.all([deploy.close(), slack.close()]);
    },
  };
}
