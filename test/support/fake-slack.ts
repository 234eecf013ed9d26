import { listen, readBody } from './http-server.js';

export interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Block[];
  thread_ts?: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

export interface Block {
  type: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: { type: string; text?: string | { text: string }; action_id?: string; value?: string; confirm?: unknown }[];
  block_id?: string;
}

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  /** When the call arrived (ms since the epoch). */
  at: number;
}

/** A channel as conversations.info describes it (docs.slack.dev/reference/methods/conversations.info). */
export interface FakeChannel {
  name: string;
  is_member: boolean;
  is_private?: boolean;
  is_archived?: boolean;
}

/**
 * What the fake does instead of answering normally, the way Slack or the network fails.
 * `handled`: Slack did the work (a message is posted) before the failure, so only the
 * answer is lost.
 */
export type Fault =
  | { kind: 'rate-limited'; retryAfter: number } // 429 with Retry-After; nothing done
  | { kind: 'error'; status: number; handled: boolean } // a 5xx
  | { kind: 'drop'; handled: boolean } // the connection closes without an answer
  | { kind: 'hang'; handled: boolean } // no answer, ever
  | { kind: 'delay'; ms: number }; // does the work after ms, then answers

interface Injected {
  method: string;
  fault: Fault;
  times: number;
  when: (args: Record<string, unknown>) => boolean;
}

/**
 * A Slack Web API on loopback: answers auth.test, chat.*, conversations.history and
 * .replies, usergroups.users.list and views.*, records every call with its time, and
 * keeps messages (with their metadata) as Slack would. Also receives `response_url`
 * posts (Bolt's respond()). `inject` makes it fail the way Slack and networks do. Like
 * Slack, it answers conversations.info and lists the token's scopes in the
 * `x-oauth-scopes` header of every answer.
 */
export class FakeSlack {
  readonly calls: ApiCall[] = [];
  /** Channels the bot is in besides those it posted to; history of any other is channel_not_found. */
  readonly joinedChannels = new Set<string>();
  private readonly faults: Injected[] = [];
  readonly messages: SlackMessage[] = [];
  readonly responses: { user: string; body: { text?: string; response_type?: string } }[] = [];
  usergroups: Record<string, string[]> = {};
  usergroupError: string | null = null;
  /** The bot token's scopes, as the x-oauth-scopes header lists them. */
  scopes: string[] = ['commands', 'chat:write', 'usergroups:read', 'channels:read'];
  /** The tokens Slack knows; null accepts any. Others get `invalid_auth`, whatever the method. */
  tokens: string[] | null = null;
  /** Channels by id, for conversations.info; any other id is `channel_not_found`. */
  channels: Record<string, FakeChannel> = {};
  private ts = 1_800_000_000;
  url = '';
  private closeServer: () => Promise<void> = async () => undefined;

  async start(): Promise<this> {
    const { url, close } = await listen(async (req, res) => {
      const raw = await readBody(req);
      const path = req.url ?? '';
      const reply = (body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(200, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (path.startsWith('/response/')) {
        this.responses.push({ user: decodeURIComponent(path.split('/')[2] ?? ''), body: JSON.parse(raw) as { text?: string } });
        return reply({ ok: true });
      }
      const method = path.replace(/^\/api\//, '').split('?')[0] ?? '';
      const args = parseArgs(raw, req.headers['content-type'] ?? '');
      this.calls.push({ method, args, at: Date.now() });
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? (typeof args.token === 'string' ? args.token : '');
      if (this.tokens && !this.tokens.includes(token)) return reply({ ok: false, error: 'invalid_auth' });
      const scopes = { 'x-oauth-scopes': this.scopes.join(',') };
      const fault = this.faultFor(method, args);
      if (!fault) return reply(this.answer(method, args), scopes);
      switch (fault.kind) {
        case 'rate-limited':
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(fault.retryAfter) });
          res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
          return;
        case 'delay':
          await new Promise((resolve) => setTimeout(resolve, fault.ms));
          return reply(this.answer(method, args), scopes);
        case 'error':
          if (fault.handled) this.answer(method, args);
          res.writeHead(fault.status, { 'content-type': 'text/plain' });
          res.end('upstream connect error');
          return;
        case 'drop':
          if (fault.handled) this.answer(method, args);
          req.socket.destroy();
          return;
        case 'hang':
          if (fault.handled) this.answer(method, args);
          return; // the server closes it at the end
      }
    });
    this.url = url;
    this.closeServer = close;
    return this;
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  responseUrl(user: string): string {
    return `${this.url}/response/${encodeURIComponent(user)}/${this.responses.length}-${Math.random().toString(36).slice(2)}`;
  }

  close(): Promise<void> {
    return this.closeServer();
  }

  /** The next TIMES calls of METHOD (those WHEN accepts) fail with FAULT. */
  inject(method: string, fault: Fault, options: { times?: number; when?: (args: Record<string, unknown>) => boolean } = {}): void {
    this.faults.push({ method, fault, times: options.times ?? 1, when: options.when ?? (() => true) });
  }

  private faultFor(method: string, args: Record<string, unknown>): Fault | null {
    const injected = this.faults.find((f) => f.method === method && f.times > 0 && f.when(args));
    if (!injected) return null;
    injected.times--;
    return injected.fault;
  }

  private answer(method: string, args: Record<string, unknown>): unknown {
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0TEAM', user: 'shipgate', team: 'Test' };
      case 'chat.postMessage': {
        const channel = String(args.channel);
        if (args.thread_ts && !this.messages.some((m) => m.channel === channel && m.ts === args.thread_ts)) return { ok: false, error: 'thread_not_found' };
        const metadata = args.metadata as SlackMessage['metadata'] | undefined;
        const message: SlackMessage = {
          channel,
          ts: `${this.ts++}.000100`,
          text: String(args.text ?? ''),
          blocks: (args.blocks as Block[]) ?? [],
          ...(args.thread_ts ? { thread_ts: String(args.thread_ts) } : {}),
          ...(metadata ? { metadata } : {}),
        };
        this.messages.push(message);
        this.joinedChannels.add(channel);
        return { ok: true, channel: message.channel, ts: message.ts, message };
      }
      case 'conversations.history': {
        // Top-level messages only, newest first; metadata only when asked for.
        const channel = String(args.channel ?? '');
        if (!this.joinedChannels.has(channel)) return { ok: false, error: 'channel_not_found' };
        const inRange = this.messages.filter((m) => m.channel === channel && !m.thread_ts && after(m.ts, args)).reverse();
        return { ok: true, ...page(inRange, args) };
      }
      case 'conversations.replies': {
        // The parent first, then its replies, oldest first.
        const channel = String(args.channel ?? '');
        if (!this.joinedChannels.has(channel)) return { ok: false, error: 'channel_not_found' };
        const parent = this.messages.find((m) => m.channel === channel && m.ts === args.ts && !m.thread_ts);
        if (!parent) return { ok: false, error: 'thread_not_found' };
        const replies = this.messages.filter((m) => m.channel === channel && m.thread_ts === parent.ts && after(m.ts, args));
        return { ok: true, ...page([parent, ...replies], args) };
      }
      case 'chat.update': {
        const message = this.messages.find((m) => m.channel === args.channel && m.ts === args.ts);
        if (!message) return { ok: false, error: 'message_not_found' };
        message.text = String(args.text ?? '');
        message.blocks = (args.blocks as Block[]) ?? [];
        return { ok: true, channel: message.channel, ts: message.ts };
      }
      case 'conversations.info': {
        if (!this.scopes.includes('channels:read')) return { ok: false, error: 'missing_scope', needed: 'channels:read', provided: this.scopes.join(',') };
        const channel = this.channels[String(args.channel)];
        if (!channel) return { ok: false, error: 'channel_not_found' };
        return { ok: true, channel: { id: String(args.channel), is_channel: !channel.is_private, is_private: channel.is_private ?? false, is_archived: channel.is_archived ?? false, ...channel } };
      }
      case 'usergroups.users.list': {
        if (this.usergroupError) return { ok: false, error: this.usergroupError };
        const users = this.usergroups[String(args.usergroup)];
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      default:
        return { ok: true };
    }
  }

  // Reading what Shipgate did, in the words of the tests.

  topLevelIn(channel: string): SlackMessage[] {
    return this.messages.filter((m) => m.channel === channel && !m.thread_ts);
  }

  lastMessageIn(channel: string): SlackMessage {
    const message = this.topLevelIn(channel).at(-1);
    if (!message) throw new Error(`no message in ${channel} yet`);
    return message;
  }

  thread(message: SlackMessage): SlackMessage[] {
    return this.messages.filter((m) => m.thread_ts === message.ts);
  }

  /** The current state of a message (after every chat.update). */
  refreshed(message: SlackMessage): SlackMessage {
    return this.messages.find((m) => m.channel === message.channel && m.ts === message.ts) ?? message;
  }

  lastEphemeralTo(user: string): string {
    const response = this.responses.filter((r) => r.user === user).at(-1);
    if (!response) throw new Error(`no ephemeral reply to ${user} yet`);
    return response.body.text ?? '';
  }

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Every chat.postMessage and chat.update to CHANNEL, as they arrived. */
  writesTo(channel: string): ApiCall[] {
    return this.calls.filter((c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.args.channel === channel);
  }
}

/** Slack's `oldest` is exclusive unless `inclusive` is set. */
function after(ts: string, args: Record<string, unknown>): boolean {
  if (args.oldest === undefined) return true;
  const inclusive = args.inclusive === true || args.inclusive === 'true' || args.inclusive === '1';
  return inclusive ? Number(ts) >= Number(args.oldest) : Number(ts) > Number(args.oldest);
}

/** One page of messages by Slack's cursor rules: `limit` (default 100, at most 999), an opaque `cursor`. */
function page(all: SlackMessage[], args: Record<string, unknown>) {
  const limit = Math.min(999, Math.max(1, Number(args.limit ?? 100)));
  const start = args.cursor ? Number(Buffer.from(String(args.cursor), 'base64').toString('utf8').replace(/^next:/, '')) : 0;
  const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true' || args.include_all_metadata === '1';
  const messages = all.slice(start, start + limit).map(({ channel: _channel, metadata, ...m }) => ({ type: 'message', user: 'U0BOT', bot_id: 'B0BOT', ...m, ...(withMetadata && metadata ? { metadata } : {}) }));
  const more = start + limit < all.length;
  return { messages, has_more: more, response_metadata: { next_cursor: more ? Buffer.from(`next:${start + limit}`).toString('base64') : '' } };
}

/** All the text of a message, blocks included, for matching. */
export function textOf(message: SlackMessage): string {
  const parts = [message.text];
  for (const block of message.blocks) {
    if (block.text) parts.push(block.text.text);
    for (const field of block.fields ?? []) parts.push(field.text);
    for (const element of block.elements ?? []) parts.push(typeof element.text === 'string' ? element.text : element.text?.text ?? '');
  }
  return parts.join('\n');
}

export function buttonsOf(message: SlackMessage): { label: string; actionId: string; value: string; block: string }[] {
  return message.blocks.flatMap((block) =>
    (block.elements ?? [])
      .filter((e) => e.type === 'button')
      .map((e) => ({ label: typeof e.text === 'string' ? e.text : e.text?.text ?? '', actionId: e.action_id ?? '', value: e.value ?? '', block: block.block_id ?? '' })),
  );
}

function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return JSON.parse(raw || '{}') as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = key === 'blocks' || key === 'attachments' || key === 'view' || key === 'metadata' ? JSON.parse(value) : value;
  }
  return args;
}
