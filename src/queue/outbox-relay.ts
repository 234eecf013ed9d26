import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { OutboxEntry } from '../store/outbox.js';

const GROUP = 'relay';

export interface RelayOptions {
  /** How long one read waits for new entries; also how soon `stop` is noticed. */
  blockMs: number;
  /** An entry delivered to a relay that has not acknowledged it after this long is taken over by another. */
  reclaimAfterMs: number;
  /**
   * Deliveries after which an entry that still fails is set aside in the dead-letter
   * stream (`<outbox>:dead`) instead of being retried forever. The sweep queues again
   * what an unfinished promotion still needs, so no promotion is stranded by it.
   */
  maxDeliveries: number;
}

const DEFAULT_OPTIONS: RelayOptions = { blockMs: 1000, reclaimAfterMs: 10_000, maxDeliveries: 20 };

/**
 * Turns outbox entries (written by commits) into jobs, continuously, in every worker.
 * The outbox is a Redis stream read through one consumer group: each entry goes to
 * one relay, is acknowledged and deleted once its job is queued, and is taken over
 * by another relay if the one that read it died first. Queueing is idempotent
 * (deterministic job ids), so delivering an entry twice is harmless.
 */
export class OutboxRelay {
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    /** A connection of its own: reads block on it. */
    private readonly redis: Redis,
    private readonly streamKey: string,
    private readonly consumer: string,
    private readonly deliver: (entry: OutboxEntry) => Promise<void>,
    private readonly log: Logger,
    options: Partial<RelayOptions> = {},
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
  }

  private readonly options: RelayOptions;

  async start(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.streamKey, GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.redis.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    let reclaimedAt = 0;
    while (this.running) {
      try {
        if (Date.now() - reclaimedAt >= this.options.reclaimAfterMs / 2) {
          await this.reclaim();
          reclaimedAt = Date.now();
        }
        const read = (await this.redis.xreadgroup('GROUP', GROUP, this.consumer, 'COUNT', 100, 'BLOCK', this.options.blockMs, 'STREAMS', this.streamKey, '>')) as [string, [string, string[]][]][] | null;
        for (const [, messages] of read ?? []) await this.handle(messages);
      } catch (error) {
        if (!this.running) return;
        this.log.error({ err: error }, 'outbox relay failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Entries another relay read but never acknowledged (it died, or its delivery failed). */
  private async reclaim(): Promise<void> {
    let cursor = '0-0';
    do {
      const [next, messages] = (await this.redis.xautoclaim(this.streamKey, GROUP, this.consumer, this.options.reclaimAfterMs, cursor, 'COUNT', 100)) as [string, [string, string[]][]];
      await this.handle(messages.filter((m) => m !== null));
      cursor = next;
    } while (cursor !== '0-0' && this.running);
  }

  private async handle(messages: [string, string[]][]): Promise<void> {
    const queued: string[] = [];
    for (const [id, fields] of messages) {
      const json = fields[fields.indexOf('e') + 1];
      try {
        if (json) await this.deliver(JSON.parse(json) as OutboxEntry);
      } catch (error) {
        if ((await this.deliveriesOf(id)) < this.options.maxDeliveries) {
          // Left unacknowledged: reclaimed and delivered again later.
          this.log.error({ err: error, entry: id }, 'could not queue an outbox entry; it will be retried');
          continue;
        }
        this.log.error({ err: error, entry: id, deliveries: this.options.maxDeliveries }, 'gave up on an outbox entry; set aside in the dead-letter stream');
        await this.redis
          .multi()
          .xadd(`${this.streamKey}:dead`, '*', 'id', id, 'e', json ?? '', 'error', String((error as Error)?.message ?? error))
          .xack(this.streamKey, GROUP, id)
          .xdel(this.streamKey, id)
          .exec();
        continue;
      }
      queued.push(id);
    }
    // One acknowledgement for the whole batch: a relay that dies before it leaves its entries to be delivered again, which queues nothing twice.
    if (queued.length > 0) await this.redis.multi().xack(this.streamKey, GROUP, ...queued).xdel(this.streamKey, ...queued).exec();
  }

  /** How many times the group has handed this entry out (XREADGROUP, then each XAUTOCLAIM). */
  private async deliveriesOf(id: string): Promise<number> {
    const pending = (await this.redis.xpending(this.streamKey, GROUP, 'IDLE', 0, id, id, 1)) as [string, string, number, number][];
    return Number(pending[0]?.[3] ?? 0);
  }
}
