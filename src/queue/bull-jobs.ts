import { executorFor } from '../config/to-policy.js';
import type { ShipgateConfig } from '../config/schema.js';
import type { Instant, Promotion } from '../domain/promotion.js';
import type { Clock, Jobs } from '../service/ports.js';
import { QUEUE, type DeployJob, type Queues } from './queues.js';

const DAY = 24 * 3600 * 1000;

/**
 * One job per deployment: the promotion and when its deployment started, so no later
 * deployment meets an old job's id; a drill's legs (which may start in the same
 * millisecond) each get their own.
 */
export function deployJobId(p: Pick<Promotion, 'id' | 'deployment' | 'drill'>): string {
  return `deploy-${p.id}-${p.deployment?.startedAt ?? 0}${p.drill ? `-${p.drill.leg}` : ''}`;
}

/**
 * Jobs as BullMQ jobs with deterministic ids (never containing `:`): adding the same
 * deployment twice is a no-op while the first job is kept, which is 30 days.
 */
export class BullJobs implements Jobs {
  constructor(
    private readonly queues: Queues,
    private readonly config: ShipgateConfig,
    private readonly clock: Clock,
    /** Reads a data refresh, for the retry settings of its jobs. */
    private readonly refreshes?: (id: string) => Promise<{ dataset: string } | null>,
  ) {}

  async deploy(p: Promotion): Promise<void> {
    const { executor } = executorFor(this.config, p.app, p.environment);
    await this.queues.deploy.add(
      'deploy',
      { promotionId: p.id },
      {
        jobId: deployJobId(p),
        attempts: executor.attempts,
        backoff: { type: 'exponential', delay: executor.backoff },
        removeOnComplete: { age: 30 * DAY / 1000 },
        removeOnFail: { age: 30 * DAY / 1000 },
      },
    );
  }

  /**
   * A deploy job that is failed for good (attempts exhausted, stalled too often, an
   * unrecoverable error), or that completed while its promotion still says deploying,
   * gave up: the reason, for the sweep to end the promotion with.
   */
  async deployFailure(p: Promotion): Promise<string | null> {
    const job = await this.queues.deploy.getJob(deployJobId(p));
    if (!job) return null;
    const state = await job.getState();
    if (state === 'failed') return `${job.failedReason || 'the deploy job failed'} (after ${job.attemptsMade} attempts)`;
    if (state === 'completed') return 'the deploy job ended without recording an outcome';
    return null;
  }

  async startQueued(promotionId: string, key: string): Promise<void> {
    await this.followUp('start-queued', { promotionId }, key);
  }

  async markRolledBack(original: string, rollbackId: string, key: string): Promise<void> {
    await this.followUp('mark-rolled-back', { promotionId: original, rollbackId }, key);
  }

  async alertRollback(promotionId: string, alertKey: string, key: string): Promise<void> {
    await this.followUp('alert-rollback', { promotionId, alertKey }, key);
  }

  /** Short transitions that follow a commit; run by the deploy worker, retried, with ids from the outbox entry. */
  private async followUp(name: 'start-queued' | 'mark-rolled-back' | 'alert-rollback', data: DeployJob, key: string): Promise<void> {
    await this.queues.deploy.add(name, data, { jobId: `fx-${key}`, attempts: 10, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: { age: DAY / 1000 }, removeOnFail: { age: 30 * DAY / 1000 } });
  }

  /**
   * An immediate render is deduplicated per promotion: while one waits (or is delayed by
   * the channel's rate), another adds nothing, since the waiting one reads the latest
   * record when it runs. While one runs, the latest add is kept and queued when it ends
   * (keepLastIfActive), because the running one may have read the record before the
   * change. A render at a given time (an approval expiring) is a job of its own.
   */
  async render(promotionId: string, at?: Instant): Promise<void> {
    const retries = { attempts: 12, backoff: { type: 'exponential', delay: 250 }, removeOnComplete: true, removeOnFail: { age: 7 * DAY / 1000 } };
    if (at === undefined) {
      await this.queues.slack.add('render', { kind: 'render', promotionId, force: false }, { ...retries, deduplication: { id: `render-${promotionId}`, keepLastIfActive: true } });
      return;
    }
    await this.queues.slack.add('render', { kind: 'render', promotionId, force: true }, { ...retries, jobId: `render-${promotionId}-at-${at}`, delay: Math.max(0, at - this.clock.now()) });
  }

  /**
   * One flow per gate run. Ids are deterministic (`gate-<promotion>-r<run>-<gate>`), so
   * a retried request never starts the same gate twice; every child carries a failure
   * policy (ignoreDependencyOnFailure) so a child that gives up (attempts spent, or
   * stalled too often after its worker died) never leaves the parent waiting: the parent
   * then records that gate as an error, with the reason BullMQ kept.
   */
  async runGates(p: Promotion, run: number): Promise<void> {
    // Adding a flow again would attach new children to a parent that exists: check first.
    const parent = await this.queues.gates.getJob(`gates-${p.id}-r${run}`);
    if (parent) {
      // A settle that gave up for good would leave the promotion checking for ever: asked again (the sweep), it runs again.
      if (await parent.isFailed()) await parent.retry('failed');
      return;
    }
    const names = Object.keys(p.gates?.results ?? {});
    const keep = { removeOnComplete: { age: 7 * DAY / 1000 }, removeOnFail: { age: 30 * DAY / 1000 } };
    await this.queues.flows.add({
      name: 'settle',
      queueName: QUEUE.gates,
      data: { promotionId: p.id, run },
      opts: { jobId: `gates-${p.id}-r${run}`, attempts: 10, backoff: { type: 'exponential', delay: 500 }, ...keep },
      children: names.map((gate) => ({
        name: 'gate',
        queueName: QUEUE.gates,
        data: { promotionId: p.id, run, gate, app: p.app, version: p.version, environment: p.environment },
        opts: {
          jobId: `gate-${p.id}-r${run}-${gate}`,
          attempts: (this.config.gates[gate]?.retries ?? 0) + 1,
          backoff: { type: 'exponential', delay: 1000 },
          ignoreDependencyOnFailure: true,
          ...keep,
        },
      })),
    });
  }

  async checkWindow(promotionId: string, at: Instant): Promise<void> {
    // A check that gave up for good keeps its id for 30 days, so adding it again would do nothing: run it again instead.
    const earlier = await this.queues.deploy.getJob(`window-${promotionId}-${at}`);
    if (earlier && (await earlier.isFailed())) {
      await earlier.retry('failed');
      return;
    }
    await this.queues.deploy.add(
      'check-window',
      { promotionId, at },
      { jobId: `window-${promotionId}-${at}`, delay: Math.max(0, at - this.clock.now()), attempts: 10, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: DAY / 1000 }, removeOnFail: { age: 30 * DAY / 1000 } },
    );
  }

  /**
   * A delayed job per reminder, its id from the promotion, stage and due time: queued
   * again (the outbox delivering twice, the sweep) it is the same job, and the decision
   * it runs sends the ping once even when two workers run it.
   */
  async remind(promotionId: string, stage: 'remind' | 'escalate', at: Instant): Promise<void> {
    await this.queues.deploy.add(
      'remind',
      { promotionId, at, stage },
      { jobId: `remind-${promotionId}-${stage}-${at}`, delay: Math.max(0, at - this.clock.now()), attempts: 10, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: DAY / 1000 }, removeOnFail: { age: 30 * DAY / 1000 } },
    );
  }

  /** The same check as a window's, due now; its id is the unlock's, so two unlocks in one millisecond each get theirs. */
  async lockLifted(promotionId: string, key: string): Promise<void> {
    await this.queues.deploy.add(
      'check-window',
      { promotionId, at: 0 },
      { jobId: `fx-${key}`, attempts: 10, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: DAY / 1000 }, removeOnFail: { age: 30 * DAY / 1000 } },
    );
  }

  async renderAlert(alertKey: string): Promise<void> {
    await this.queues.slack.add(
      'render-alert',
      { kind: 'render-alert', alertKey },
      { attempts: 20, backoff: { type: 'fixed', delay: 250 }, removeOnComplete: true, removeOnFail: { age: 7 * DAY / 1000 }, deduplication: { id: `render-alert-${alertKey}`, keepLastIfActive: true } },
    );
  }

  async renderDrift(app: string, environment: string): Promise<void> {
    await this.queues.slack.add(
      'render-drift',
      { kind: 'render-drift', app, environment },
      { attempts: 20, backoff: { type: 'fixed', delay: 250 }, removeOnComplete: true, removeOnFail: { age: 7 * DAY / 1000 }, deduplication: { id: `render-drift-${app}-${environment}`, keepLastIfActive: true } },
    );
  }

  async renderRefresh(refreshId: string): Promise<void> {
    await this.queues.slack.add(
      'render-refresh',
      { kind: 'render-refresh', refreshId },
      { attempts: 20, backoff: { type: 'fixed', delay: 250 }, removeOnComplete: true, removeOnFail: { age: 7 * DAY / 1000 }, deduplication: { id: `render-refresh-${refreshId}`, keepLastIfActive: true } },
    );
  }

  /**
   * One copy job per refresh, ever: its id is the refresh's, and it is kept for 30 days,
   * so a second delivery of the outbox entry, or a second worker, adds nothing.
   */
  async copyData(refreshId: string): Promise<void> {
    const refresh = await this.refreshExecutor(refreshId);
    await this.queues.deploy.add(
      'refresh-copy',
      { refreshId },
      { jobId: `refresh-copy-${refreshId}`, attempts: refresh?.attempts ?? 5, backoff: { type: 'exponential', delay: refresh?.backoff ?? 2_000 }, removeOnComplete: { age: 30 * DAY / 1000 }, removeOnFail: { age: 30 * DAY / 1000 } },
    );
  }

  async scanRefresh(refreshId: string): Promise<void> {
    const dataset = await this.refreshDataset(refreshId);
    await this.queues.deploy.add(
      'refresh-scan',
      { refreshId },
      { jobId: `refresh-scan-${refreshId}`, attempts: (dataset?.sample?.retries ?? 2) + 1, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 30 * DAY / 1000 }, removeOnFail: { age: 30 * DAY / 1000 } },
    );
  }

  async refreshJobFailure(job: 'refresh-copy' | 'refresh-scan', refreshId: string): Promise<string | null> {
    const found = await this.queues.deploy.getJob(`${job}-${refreshId}`);
    if (!found || (await found.getState()) !== 'failed') return null;
    return `${found.failedReason || `the ${job} job failed`} (after ${found.attemptsMade} attempts)`;
  }

  async refreshNote(refreshId: string, key: string, text: string): Promise<void> {
    await this.queues.slack.add('refresh-note', { kind: 'refresh-note', refreshId, key, text }, { jobId: `note-${key}`, ...NOTE_RETRIES });
  }

  private async refreshDataset(refreshId: string) {
    const dataset = (await this.refreshes?.(refreshId))?.dataset;
    return dataset ? this.config.datasets[dataset] : undefined;
  }

  private async refreshExecutor(refreshId: string) {
    const dataset = await this.refreshDataset(refreshId);
    return dataset ? this.config.executors[dataset.executor] : undefined;
  }

  /** One job per committed note (its outbox entry names it); each posts every note not yet posted, in order. */
  async notes(promotionId: string, key: string): Promise<void> {
    await this.queues.slack.add('note', { kind: 'note', promotionId }, { jobId: `note-${key}`, ...NOTE_RETRIES });
  }

  /** An alert's line in a promotion's thread: appended to the promotion's notes by the job, once per alert. */
  async alertNote(promotionId: string, key: string, text: string): Promise<void> {
    await this.queues.slack.add('alert-note', { kind: 'alert-note', promotionId, key, text }, { jobId: `note-${key}`, ...NOTE_RETRIES });
  }
}

/** A note waits for its promotion message (posted first), so it retries for a while. */
const NOTE_RETRIES = { attempts: 20, backoff: { type: 'exponential', delay: 250 }, removeOnComplete: { age: DAY / 1000 }, removeOnFail: { age: 7 * DAY / 1000 } };
