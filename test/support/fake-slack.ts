import { listen, readBody } from './http-server.js';

export interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Block[];
  thread_ts?: string;
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
}

/** A channel as conversations.info describes it (docs.slack.dev/reference/methods/conversations.info). */
export interface FakeChannel {
  name: string;
  is_member: boolean;
  is_private?: boolean;
  is_archived?: boolean;
}

/**
 * A Slack Web API on loopback: answers auth.test, chat.*, usergroups.users.list,
 * conversations.info and views.*, records every call, and keeps messages as Slack would.
 * Also receives `response_url` posts (Bolt's respond()). Like Slack, it lists the token's
 * scopes in the `x-oauth-scopes` header of every answer.
 */
export class FakeSlack {
  readonly calls: ApiCall[] = [];
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
      this.calls.push({ method, args });
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? (typeof args.token === 'string' ? args.token : '');
      if (this.tokens && !this.tokens.includes(token)) return reply({ ok: false, error: 'invalid_auth' });
      reply(this.answer(method, args), { 'x-oauth-scopes': this.scopes.join(',') });
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

  private answer(method: string, args: Record<string, unknown>): unknown {
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0TEAM', user: 'shipgate', team: 'Test' };
      case 'chat.postMessage': {
        const message: SlackMessage = {
          channel: String(args.channel),
          ts: `${this.ts++}.000100`,
          text: String(args.text ?? ''),
          blocks: (args.blocks as Block[]) ?? [],
          ...(args.thread_ts ? { thread_ts: String(args.thread_ts) } : {}),
        };
        this.messages.push(message);
        return { ok: true, channel: message.channel, ts: message.ts, message };
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
    args[key] = key === 'blocks' || key === 'attachments' || key === 'view' ? JSON.parse(value) : value;
  }
  return args;
}
