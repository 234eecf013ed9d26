import { randomUUID } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { KnownBlock } from '@slack/types';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { slackErrorCode, surelyNotDone } from './delivery-errors.js';

/** Shipgate's mark on a message it posted, kept by Slack and returned with include_all_metadata. */
export interface PostMetadata {
  event_type: string;
  event_payload: Record<string, string | number>;
}

export interface OncePost {
  /** Redis key of the intent (keys.posting…). */
  intent: string;
  channel: string;
  /** The parent message when the post is a thread reply. */
  threadTs?: string;
  message: { text: string; blocks: KnownBlock[] };
  metadata: PostMetadata;
  /** Stores the ts where the message now lives; must be idempotent. */
  save(ts: string): Promise<void>;
  /** Takes a write slot for the channel, or throws RetryLaterError. */
  beforeWrite(): Promise<void>;
}

/** Pages of history read when looking for a post that may have been made; Slack's pages are at most this size. */
const LOOKUP_PAGES = 3;
const LOOKUP_PAGE_SIZE = 100;
/** Slack's clock and ours may differ; look a little before the intent was written. */
const CLOCK_MARGIN_S = 600;
const INTENT_KEPT_MS = 7 * 24 * 3600 * 1000;

interface HistoryMessage {
  ts?: string;
  thread_ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/**
 * Posts a message at most once, even when a process dies between chat.postMessage and
 * storing its ts, or when the answer never arrives. Before posting it records an
 * intent in Redis and marks the message with metadata; when it finds an intent from an
 * earlier try and no stored ts, it first looks for the marked message in the channel's
 * recent history (or the thread), and stores that ts instead of posting again. Callers
 * hold a lock per message, so two workers never post the same one at once.
 */
export class PostOnce {
  constructor(
    private readonly client: WebClient,
    private readonly redis: Redis,
    private readonly log: Logger,
  ) {}

  /** The ts of the message, and whether this call posted it (so it shows `message` as given). */
  async post(p: OncePost): Promise<{ ts: string; fresh: boolean }> {
    const earlier = await this.redis.get(p.intent);
    if (earlier !== null) {
      const found = await this.find(p, Number(JSON.parse(earlier).at));
      if (found) {
        await p.save(found);
        await this.redis.del(p.intent);
        return { ts: found, fresh: false };
      }
    }
    await p.beforeWrite();
    await this.redis.set(p.intent, JSON.stringify({ marker: randomUUID(), at: Date.now() }), 'PX', INTENT_KEPT_MS);
    let ts: string | undefined;
    try {
      const posted = await this.client.chat.postMessage({
        channel: p.channel,
        ...(p.threadTs ? { thread_ts: p.threadTs } : {}),
        ...p.message,
        metadata: p.metadata,
        unfurl_links: false,
      });
      ts = posted.ts;
    } catch (error) {
      // Slack said no (429, ok: false): nothing was posted, so the next try need not look.
      if (surelyNotDone(error)) await this.redis.del(p.intent);
      throw error;
    }
    if (!ts) throw new Error(`Slack accepted a message in ${p.channel} but returned no ts; it will be looked up on the next try.`);
    await p.save(ts);
    await this.redis.del(p.intent);
    return { ts, fresh: true };
  }

  /** The ts of a message carrying the same metadata, posted since the intent; null when there is none. */
  private async find(p: OncePost, since: number): Promise<string | null> {
    const oldest = String(Math.floor(since / 1000) - CLOCK_MARGIN_S);
    let cursor: string | undefined;
    try {
      for (let page = 0; page < LOOKUP_PAGES; page++) {
        const args = { channel: p.channel, limit: LOOKUP_PAGE_SIZE, include_all_metadata: true, oldest, ...(cursor ? { cursor } : {}) };
        const result = p.threadTs ? await this.client.conversations.replies({ ...args, ts: p.threadTs }) : await this.client.conversations.history(args);
        const hit = (result.messages as HistoryMessage[] | undefined)?.find((m) => m.ts !== p.threadTs && sameMark(m.metadata, p.metadata));
        if (hit?.ts) return hit.ts;
        cursor = result.response_metadata?.next_cursor || undefined;
        if (!result.has_more || !cursor) return null;
      }
      return null;
    } catch (error) {
      const code = slackErrorCode(error);
      // Without the history scopes the lookup cannot work: post again rather than never.
      if (code === 'missing_scope' || code === 'not_in_channel') {
        this.log.warn({ channel: p.channel, error: code }, 'cannot read the channel history to find an earlier post; add the channels:history and groups:history scopes');
        return null;
      }
      throw error;
    }
  }
}

function sameMark(found: HistoryMessage['metadata'], wanted: PostMetadata): boolean {
  if (found?.event_type !== wanted.event_type || !found.event_payload) return false;
  return Object.entries(wanted.event_payload).every(([key, value]) => String(found.event_payload![key]) === String(value));
}
