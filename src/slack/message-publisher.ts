import { createHash, randomUUID } from 'node:crypto';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Policy } from '../domain/policy.js';
import type { Calendars, Clock } from '../service/ports.js';
import type { AlertStore } from '../store/alert-store.js';
import type { DriftStore } from '../store/drift-store.js';
import type { RefreshStore } from '../store/refresh-store.js';
import type { Keys } from '../store/keys.js';
import { GateProgressLog } from '../store/gate-progress.js';
import { withGateProgress } from '../domain/gates.js';
import { NoteLog } from '../store/note-log.js';
import type { PromotionStore } from '../store/promotion-store.js';
import { ChannelRate } from './channel-rate.js';
import { MessageNotPostedError, RetryLaterError, slackRetryAfter } from './delivery-errors.js';
import { PostOnce, type PostMetadata } from './post-once.js';
import { alertMessage } from './views/alert-message.js';
import { driftMessage } from './views/drift-message.js';
import { refreshMessage } from './views/refresh-message.js';
import { promotionMessage } from './views/promotion-message.js';
import { threadNote } from './views/thread-note.js';
import { escapeMrkdwn } from './views/mrkdwn.js';

const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Longer than the slowest locked work (a history lookup, a post and an update, each with the client's timeout). */
const LOCK_MS = 60_000;
const RENDERED_KEPT_MS = 7 * 24 * 3600 * 1000;

export interface PublisherDeps {
  client: WebClient;
  store: PromotionStore;
  alerts: AlertStore;
  redis: Redis;
  keys: Keys;
  policy: Policy;
  calendars: Calendars;
  clock: Clock;
  log: Logger;
  rate?: ChannelRate;
  /** Drift records, for drift messages; a publisher without them renders none. */
  drifts?: DriftStore;
  /** Data refreshes, for their messages; a publisher without them renders none. */
  refreshes?: RefreshStore;
}

/** A message to keep equal to what its record says. */
interface Shown {
  channel: string;
  ts: string | null;
  message: { text: string; blocks: KnownBlock[] };
  /** Key holding a digest of what the message shows now. */
  rendered: string;
  intent: string;
  metadata: PostMetadata;
  save(ts: string): Promise<void>;
  force: boolean;
}

/**
 * Posts the promotion and alert messages, then keeps them equal to their records, and
 * posts each promotion's thread notes in the order of its commits. Every write to a
 * channel takes a slot of that channel's rate (ChannelRate); a post is made at most
 * once (PostOnce); a lock per message serialises workers, and the record is read inside
 * it, so the last update shows the latest commit; a render whose result is already
 * shown writes nothing.
 */
export class MessagePublisher {
  private readonly rate: ChannelRate;
  private readonly once: PostOnce;
  private readonly notesLog: NoteLog;
  private readonly gateProgress: GateProgressLog;

  constructor(private readonly deps: PublisherDeps) {
    this.rate = deps.rate ?? new ChannelRate(deps.redis, deps.keys);
    this.once = new PostOnce(deps.client, deps.redis, deps.log);
    this.notesLog = new NoteLog(deps.redis, deps.keys);
    this.gateProgress = new GateProgressLog(deps.redis, deps.keys);
  }

  async render(id: string, force = false): Promise<void> {
    const { store, keys, policy, calendars, clock } = this.deps;
    const shown = await this.locked(keys.renderLock(id), async () => {
      const stored = await store.get(id);
      if (!stored) return false;
      // Gates report progress outside the record while their run is under way; the message shows it live.
      const running = stored.promotion.state === 'checking' && stored.promotion.gates !== null;
      const p = running ? withGateProgress(stored.promotion, await this.gateProgress.of(id, stored.promotion.gates!.run)) : stored.promotion;
      const configured = policy.environments.get(p.environment);
      if (!configured) return false;
      const message = promotionMessage(p, { ...configured, calendar: calendars.calendarFor(p.environment), freezes: await store.freezesOf(p.environment) }, clock.now());
      await this.show({
        channel: p.message.channel,
        ts: p.message.ts,
        message,
        rendered: keys.rendered(id),
        intent: keys.posting(id),
        metadata: { event_type: 'shipgate_promotion', event_payload: { promotion_id: id } },
        save: (ts) => store.setMessageTs(id, ts),
        force,
      });
      return true;
    });
    // Notes committed before their message existed wait for it with a growing backoff: post them now.
    if (shown && (await this.notesLog.length(id)) > (await this.notesLog.posted(id))) await this.notes(id, Number.MAX_SAFE_INTEGER);
  }

  /** Posts the alert message once, then keeps it equal to the alert record. */
  async renderAlert(key: string): Promise<void> {
    const { alerts, keys } = this.deps;
    await this.locked(keys.alertRenderLock(key), async () => {
      const stored = await alerts.get(key);
      if (!stored) return;
      const a = stored.record;
      await this.show({
        channel: a.message.channel,
        ts: a.message.ts,
        message: alertMessage(a),
        rendered: keys.alertRendered(key),
        intent: keys.posting(`alert-${key}`),
        metadata: { event_type: 'shipgate_alert', event_payload: { alert_key: key } },
        save: (ts) => alerts.setMessageTs(key, ts),
        force: false,
      });
    });
  }

  /** Posts the drift message of an app and environment once per drift, then keeps it equal to the drift record. */
  async renderDrift(app: string, environment: string): Promise<void> {
    const { drifts, keys } = this.deps;
    if (!drifts) throw new Error('This publisher has no drift store; drift messages need one.');
    await this.locked(keys.driftRenderLock(app, environment), async () => {
      const d = await drifts.get(app, environment);
      if (!d || d.episode === 0) return;
      await this.show({
        channel: d.message.channel,
        ts: d.message.ts,
        message: driftMessage(d),
        rendered: keys.driftRendered(app, environment),
        intent: keys.posting(`drift-${app}-${environment}-${d.episode}`),
        metadata: { event_type: 'shipgate_drift', event_payload: { app, environment, episode: d.episode } },
        save: (ts) => drifts.setMessageTs(app, environment, d.episode, ts),
        force: false,
      });
    });
  }

  /** Posts a data refresh's message in its target's channel once, then keeps it equal to the refresh record. */
  async renderRefresh(id: string): Promise<void> {
    const refreshes = this.refreshesOrThrow();
    const { keys } = this.deps;
    await this.locked(keys.refreshRenderLock(id), async () => {
      const r = await refreshes.get(id);
      if (!r) return;
      await this.show({
        channel: r.message.channel,
        ts: r.message.ts,
        message: refreshMessage(r),
        rendered: keys.refreshRendered(id),
        intent: keys.posting(`refresh-${id}`),
        metadata: { event_type: 'shipgate_refresh', event_payload: { refresh_id: id } },
        save: (ts) => refreshes.setMessageTs(id, ts),
        force: false,
      });
    });
  }

  /** A line in a refresh's thread, posted at most once per `key`; it waits for the refresh's message. */
  async refreshNote(id: string, key: string, text: string): Promise<void> {
    const r = await this.refreshesOrThrow().get(id);
    if (!r) return;
    const thread = r.message.ts;
    if (thread === null) throw new MessageNotPostedError(`refresh ${id} has no message yet`);
    const channel = r.message.channel;
    const posted = this.deps.keys.posting(`${key}-posted`);
    await this.locked(this.deps.keys.noteLock(id), async () => {
      if ((await this.deps.redis.exists(posted)) === 1) return;
      await this.slackLimited(channel, () =>
        this.once.post({
          intent: this.deps.keys.posting(`${key}-note`),
          channel,
          threadTs: thread,
          message: { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(text) } }] },
          metadata: { event_type: 'shipgate_refresh_note', event_payload: { refresh_id: id, note: key } },
          save: (ts) => this.deps.redis.set(posted, ts, 'PX', RENDERED_KEPT_MS).then(() => undefined),
          beforeWrite: () => this.slot(channel),
        }),
      );
    });
  }

  private refreshesOrThrow(): RefreshStore {
    if (!this.deps.refreshes) throw new Error('This publisher has no refresh store; refresh messages need one.');
    return this.deps.refreshes;
  }

  /**
   * Posts the promotion's notes from the first not yet posted to the last, in order,
   * under the promotion's note lock. A job whose note is already posted does nothing;
   * a job for a later note also posts the earlier ones.
   */
  async notes(id: string, upTo = Number.POSITIVE_INFINITY): Promise<void> {
    if ((await this.notesLog.posted(id)) >= upTo) return;
    await this.locked(this.deps.keys.noteLock(id), () => this.postPendingNotes(id));
  }

  /** An alert's line in a promotion's thread: joins the promotion's notes once, then goes out in turn. */
  async alertNote(id: string, key: string, text: string): Promise<void> {
    await this.notes(id, await this.notesLog.appendOnce(id, key, { text }));
  }

  private async postPendingNotes(id: string): Promise<void> {
    const stored = await this.deps.store.get(id);
    if (!stored) return;
    const p = stored.promotion;
    const thread = p.message.ts;
    if (thread === null) throw new MessageNotPostedError(`promotion ${id} has no message yet`);
    const channel = p.message.channel;
    for (;;) {
      const position = (await this.notesLog.posted(id)) + 1;
      const note = await this.notesLog.at(id, position);
      if (!note) return;
      await this.slackLimited(channel, () =>
        this.once.post({
          intent: this.deps.keys.posting(`${id}-note-${position}`),
          channel,
          threadTs: thread,
          message: threadNote(p, note.text, note.rollbackTo),
          metadata: { event_type: 'shipgate_note', event_payload: { promotion_id: id, note: position } },
          save: async () => undefined,
          beforeWrite: () => this.slot(channel),
        }),
      );
      await this.notesLog.markPosted(id, position);
    }
  }

  /** Posts or updates the message unless it already shows this. */
  private async show(s: Shown): Promise<void> {
    const { redis } = this.deps;
    const digest = createHash('sha256').update(JSON.stringify(s.message)).digest('hex');
    if (!s.force && s.ts !== null && (await redis.get(s.rendered)) === digest) return;
    await this.slackLimited(s.channel, async () => {
      let ts = s.ts;
      if (ts === null) {
        const posted = await this.once.post({ intent: s.intent, channel: s.channel, message: s.message, metadata: s.metadata, save: s.save, beforeWrite: () => this.slot(s.channel) });
        ts = posted.ts;
        // A message found from an earlier try may show an older record: update it.
        if (!posted.fresh) await this.update(s.channel, ts, s.message);
      } else {
        await this.update(s.channel, ts, s.message);
      }
      await redis.set(s.rendered, digest, 'PX', RENDERED_KEPT_MS);
    });
  }

  private async update(channel: string, ts: string, message: Shown['message']): Promise<void> {
    await this.slot(channel);
    await this.deps.client.chat.update({ channel, ts, ...message });
  }

  /** Takes one write slot of the channel, or asks for the job to come back when there is one. */
  private async slot(channel: string): Promise<void> {
    const wait = await this.rate.take(channel);
    if (wait > 0) throw new RetryLaterError(wait + Math.floor(Math.random() * 100), `channel ${channel} is at its write rate`);
  }

  /** A 429 from Slack holds back every write to that channel for Retry-After, and this job with them. */
  private async slackLimited<T>(channel: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const seconds = slackRetryAfter(error);
      if (seconds === null) throw error;
      await this.rate.pause(channel, seconds * 1000);
      throw new RetryLaterError(seconds * 1000, `Slack asked to wait ${seconds}s before writing to ${channel} again`);
    }
  }

  /** Holds a per-key lock across workers while `work` runs; busy means come back shortly. */
  private async locked<T>(lock: string, work: () => Promise<T>): Promise<T> {
    const { redis } = this.deps;
    const token = randomUUID();
    if ((await redis.set(lock, token, 'PX', LOCK_MS, 'NX')) !== 'OK') throw new RetryLaterError(200 + Math.floor(Math.random() * 300), `${lock} is held`);
    try {
      return await work();
    } finally {
      await redis.eval(RELEASE_LOCK, 1, lock, token);
    }
  }
}
