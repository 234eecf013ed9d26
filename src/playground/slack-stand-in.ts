import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, readBody, sendJson, type Listening } from './loopback-server.js';

export type Blocks = Record<string, unknown>[];

export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Blocks;
  thread_ts?: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  edited?: boolean;
}

/** An answer only one person sees: a command's ack, a response_url reply, chat.postEphemeral. */
export interface Ephemeral {
  id: number;
  user: string;
  channel: string;
  text: string;
  blocks: Blocks;
}

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
}

const BOT = { user_id: 'U0SHIPGATE', bot_id: 'B0SHIPGATE', team_id: 'T0PLAYGROUND', user: 'shipgate', team: 'Playground' };

/**
 * The part of Slack's Web API that Shipgate calls, on loopback: it keeps messages,
 * ephemeral answers, App Home views and modals as Slack would, records every call,
 * and emits `change` so the page can redraw. It refuses what Slack refuses: a wrong
 * token (invalid_auth), a message without text or blocks (no_text), an update of a
 * message it never posted (message_not_found).
 */
export class SlackStandIn extends EventEmitter<{ change: [] }> {
  readonly calls: ApiCall[] = [];
  readonly messages: StoredMessage[] = [];
  readonly ephemerals: Ephemeral[] = [];
  readonly homes = new Map<string, Record<string, unknown>>();
  readonly modals = new Map<string, Record<string, unknown>>();
  private nextTs = Math.floor(Date.now() / 1000);
  private nextEphemeral = 1;
  private listening: Listening | null = null;

  constructor(
    private readonly botToken: string,
    private readonly usergroups: Record<string, string[]>,
  ) {
    super();
  }

  async start(): Promise<this> {
    this.listening = await listenOnLoopback((req, res) => this.handle(req, res));
    return this;
  }

  get url(): string {
    if (!this.listening) throw new Error('The Slack stand-in has not started.');
    return this.listening.url;
  }

  /** What SLACK_API_URL / slack.apiUrl points at. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A response_url for a command or click by USER in CHANNEL (Bolt's respond() posts to it). */
  responseUrl(user: string, channel: string): string {
    return `${this.url}/response/${encodeURIComponent(user)}/${encodeURIComponent(channel)}/${Math.random().toString(36).slice(2)}`;
  }

  async close(): Promise<void> {
    await this.listening?.close();
  }

  addEphemeral(user: string, channel: string, text: string, blocks: Blocks = []): void {
    this.ephemerals.push({ id: this.nextEphemeral++, user, channel, text, blocks });
    this.changed();
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  private changed(): void {
    this.emit('change');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = req.url ?? '';
    if (req.method === 'POST' && path.startsWith('/response/')) return this.respond(path, raw, res);
    if (req.method !== 'POST' || !path.startsWith('/api/')) return sendJson(res, 404, { ok: false, error: 'unknown_method' });
    const method = path.slice('/api/'.length).split('?')[0] ?? '';
    const args = parseArgs(raw, req.headers['content-type'] ?? '');
    const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/, '') || String(args.token ?? '');
    if (token !== this.botToken) return sendJson(res, 200, { ok: false, error: 'invalid_auth' });
    this.calls.push({ method, args });
    const answer = this.answer(method, args);
    sendJson(res, 200, answer);
    if (answer.ok && method !== 'auth.test') this.changed();
  }

  private respond(path: string, raw: string, res: ServerResponse): void {
    const [, , user = '', channel = ''] = path.split('/').map(decodeURIComponent);
    const body = JSON.parse(raw || '{}') as { text?: string; blocks?: Blocks; response_type?: string };
    if (body.response_type === 'in_channel') this.post({ channel, text: body.text ?? '', blocks: body.blocks ?? [] });
    else this.addEphemeral(user, channel, body.text ?? '', body.blocks ?? []);
    sendJson(res, 200, { ok: true });
  }

  private post(args: Record<string, unknown>): StoredMessage {
    const metadata = typeof args.metadata === 'string' ? (JSON.parse(args.metadata) as StoredMessage['metadata']) : (args.metadata as StoredMessage['metadata']);
    const message: StoredMessage = {
      channel: String(args.channel),
      ts: `${this.nextTs++}.000100`,
      text: String(args.text ?? ''),
      blocks: (args.blocks as Blocks | undefined) ?? [],
      ...(args.thread_ts ? { thread_ts: String(args.thread_ts) } : {}),
      ...(metadata ? { metadata } : {}),
    };
    this.messages.push(message);
    return message;
  }

  private answer(method: string, args: Record<string, unknown>): { ok: boolean } & Record<string, unknown> {
    const hasContent = Boolean(args.text) || (Array.isArray(args.blocks) && args.blocks.length > 0);
    switch (method) {
      case 'auth.test':
        return { ok: true, ...BOT, url: 'http://localhost/' };
      case 'chat.postMessage': {
        if (!args.channel) return { ok: false, error: 'channel_not_found' };
        if (!hasContent) return { ok: false, error: 'no_text' };
        const message = this.post(args);
        return { ok: true, channel: message.channel, ts: message.ts, message };
      }
      case 'chat.update': {
        const message = this.message(String(args.channel), String(args.ts));
        if (!message) return { ok: false, error: 'message_not_found' };
        if (!hasContent) return { ok: false, error: 'no_text' };
        message.text = String(args.text ?? '');
        message.blocks = (args.blocks as Blocks | undefined) ?? [];
        message.edited = true;
        return { ok: true, channel: message.channel, ts: message.ts, text: message.text };
      }
      case 'chat.postEphemeral': {
        if (!args.channel || !args.user) return { ok: false, error: 'user_not_in_channel' };
        if (!hasContent) return { ok: false, error: 'no_text' };
        this.addEphemeral(String(args.user), String(args.channel), String(args.text ?? ''), (args.blocks as Blocks | undefined) ?? []);
        return { ok: true, message_ts: `${this.nextTs++}.000200` };
      }
      case 'views.publish':
        if (!args.user_id || !args.view) return { ok: false, error: 'invalid_arguments' };
        this.homes.set(String(args.user_id), args.view as Record<string, unknown>);
        return { ok: true, view: args.view };
      case 'views.open': {
        if (!args.trigger_id || !args.view) return { ok: false, error: 'invalid_arguments' };
        const user = /^trigger-([^-]+)-/.exec(String(args.trigger_id))?.[1];
        if (!user) return { ok: false, error: 'invalid_trigger_id' };
        this.modals.set(user, args.view as Record<string, unknown>);
        return { ok: true, view: { id: `V${this.nextTs++}`, ...(args.view as object) } };
      }
      case 'usergroups.users.list': {
        const users = this.usergroups[String(args.usergroup)];
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      case 'conversations.history': {
        const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
        const limit = Number(args.limit ?? 100) || 100;
        const found = this.messages
          .filter((m) => m.channel === args.channel && !m.thread_ts)
          .reverse()
          .slice(0, limit)
          .map(({ metadata, ...m }) => ({ type: 'message', user: BOT.user_id, bot_id: BOT.bot_id, ...m, ...(withMetadata && metadata ? { metadata } : {}) }));
        return { ok: true, messages: found, has_more: false };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return JSON.parse(raw || '{}') as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = ['blocks', 'attachments', 'view', 'metadata'].includes(key) ? JSON.parse(value) : value;
  }
  return args;
}
