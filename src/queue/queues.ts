import { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export const QUEUE = { deploy: 'deploy', slack: 'slack', gates: 'gates' } as const;

/**
 * `gate` children run one gate each and return its verdict; their `settle` parent commits
 * the run's verdicts once all are done. A child carries what its gate needs to know about
 * the promotion (absent from jobs queued before it did: then the record is read).
 */
export type GateJob = { promotionId: string; run: number; gate?: string; app?: string; version?: string; environment?: string };

/**
 * `deploy` jobs call the executor; `check-window` jobs ask the calendar again at `at`;
 * `start-queued`, `mark-rolled-back` and `alert-rollback` are short follow-up
 * transitions; `sweep` (a job scheduler) re-queues whatever a promotion waits on.
 */
export interface DeployJob {
  promotionId?: string;
  at?: number;
  rollbackId?: string;
  alertKey?: string;
  /** `remind`: a reminder or an escalation, due at `at`. */
  stage?: 'remind' | 'escalate';
  /** `drift-check` and `drill-due` (job schedulers per app and environment): which app and environment. */
  app?: string;
  environment?: string;
  /** `refresh-copy` and `refresh-scan`: the data refresh they work for. */
  refreshId?: string;
}

/**
 * `render` keeps a promotion message equal to its record; `note` posts a promotion's
 * thread notes not yet posted, in order, from its notes list; `alert-note` appends an
 * alert's line to that list first; `render-alert` keeps an alert message current.
 */
export type SlackJob =
  | { kind: 'render'; promotionId: string; force: boolean }
  | { kind: 'note'; promotionId: string }
  | { kind: 'alert-note'; promotionId: string; key: string; text: string }
  | { kind: 'render-alert'; alertKey: string }
  | { kind: 'render-drift'; app: string; environment: string }
  | { kind: 'render-refresh'; refreshId: string }
  | { kind: 'refresh-note'; refreshId: string; key: string; text: string };

export interface Queues {
  deploy: Queue<DeployJob>;
  slack: Queue<SlackJob>;
  gates: Queue<GateJob>;
  flows: FlowProducer;
  close(): Promise<void>;
}

export function createQueues(connection: Redis, prefix: string): Queues {
  const deploy = new Queue<DeployJob>(QUEUE.deploy, { connection, prefix });
  const slack = new Queue<SlackJob>(QUEUE.slack, { connection, prefix });
  const gates = new Queue<GateJob>(QUEUE.gates, { connection, prefix });
  const flows = new FlowProducer({ connection, prefix });
  return {
    deploy,
    slack,
    gates,
    flows,
    async close() {
      await Promise.all([deploy.close(), slack.close(), gates.close(), flows.close()]);
    },
  };
}
