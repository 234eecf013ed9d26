import { randomUUID } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Policy } from '../domain/policy.js';
import type { Calendars, Clock } from '../service/ports.js';
import type { Keys } from '../store/keys.js';
import type { PromotionStore } from '../store/promotion-store.js';
import { promotionMessage } from './views/promotion-message.js';
import { threadNote } from './views/thread-note.js';
import { alertMessage } from './views/alert-message.js';
import type { AlertStore } from '../store/alert-store.js';

/** Thrown when another worker is rendering the same promotion; the job is retried shortly. */
export class RenderBusyError extends Error {}
/** Thrown when a note arrives before its promotion message exists; the job is retried shortly. */
export class MessageNotPostedError extends Error {}

const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const LOCK_MS = 15_000;
const RENDERED_KEPT_MS = 7 * 24 * 3600 * 1000;

/**
 * Posts the promotion message, then keeps it equal to the stored record. A lock per
 * promotion serialises renders across workers, and the state is read inside it, so
 * the last update always shows the latest committed record; a render of a revision
 * already shown is skipped (coalescing).
 */
export class MessagePublisher {
  constructor(
    private readonly client: WebClient,
    private readonly store: PromotionStore,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly policy: Policy,
    private readonly calendars: Calendars,
    private readonly clock: Clock,
    private readonly alerts: AlertStore,
  ) {}

  /** Holds a per-key lock across workers while `work` runs; busy means retry shortly. */
  private async locked(lock: string, work: () => Promise<void>): Promise<void> {
    const token = randomUUID();
    if ((await this.redis.set(lock, token, 'PX', LOCK_MS, 'NX')) !== 'OK') throw new RenderBusyError(`${lock} is held`);
    try {
      await work();
    } finally {
      await this.redis.eval(RELEASE_LOCK, 1, lock, token);
    }
  }

  /** Posts the alert message once, then keeps it equal to the alert record. */
  async renderAlert(key: string): Promise<void> {
    await this.locked(this.keys.alertRenderLock(key), async () => {
      const stored = await this.alerts.get(key);
      if (!stored) return;
      const a = stored.record;
      const message = alertMessage(a);
      if (a.message.ts === null) {
        const posted = await this.client.chat.postMessage({ channel: a.message.channel, ...message, unfurl_links: false });
        if (posted.ts) await this.alerts.setMessageTs(key, posted.ts);
      } else {
        await this.client.chat.update({ channel: a.message.channel, ts: a.message.ts, ...message });
      }
    });
  }

  async render(id: string, force = false): Promise<void> {
    await this.locked(this.keys.renderLock(id), async () => {
      const stored = await this.store.get(id);
      if (!stored) return;
      const { promotion: p, rev } = stored;
      if (!force && (await this.redis.get(this.keys.rendered(id))) === String(rev)) return;
      const configured = this.policy.environments.get(p.environment);
      if (!configured) return;
      const env = { ...configured, calendar: this.calendars.calendarFor(p.environment) };
      const message = promotionMessage(p, env, this.clock.now());
      if (p.message.ts === null) {
        const posted = await this.client.chat.postMessage({ channel: p.message.channel, ...message, unfurl_links: false });
        if (posted.ts) await this.store.setMessageTs(id, posted.ts);
      } else {
        await this.client.chat.update({ channel: p.message.channel, ts: p.message.ts, ...message });
        await this.redis.set(this.keys.rendered(id), String(rev), 'PX', RENDERED_KEPT_MS);
      }
    });
  }

  async note(id: string, text: string, rollbackTo?: string): Promise<void> {
    const stored = await this.store.get(id);
    if (!stored) return;
    const p = stored.promotion;
    if (p.message.ts === null) throw new MessageNotPostedError(`promotion ${id} has no message yet`);
    await this.client.chat.postMessage({ channel: p.message.channel, thread_ts: p.message.ts, ...threadNote(p, text, rollbackTo), unfurl_links: false });
  }
}
