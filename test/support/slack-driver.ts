import { createHmac } from 'node:crypto';
import { buttonsOf, type FakeSlack, type SlackMessage } from './fake-slack.js';

export interface SendOptions {
  /** Seconds since the epoch written into the signature; defaults to now. */
  timestamp?: number;
  /** Signs with this secret instead of the real one (a forgery). */
  secret?: string;
  /** Adds Slack's retry headers. */
  retryNum?: number;
  /** Sends to this receiver instead of the default one (a second replica). */
  url?: string;
}

/** The fields every interaction payload carries about who acted, where. */
function interactionFrom(user: string) {
  return {
    team: { id: 'T0TEAM', domain: 'test' },
    user: { id: user, username: user.toLowerCase(), team_id: 'T0TEAM' },
    api_app_id: 'A0SHIPGATE',
    token: 'legacy',
    trigger_id: `trigger-${Date.now()}`,
  };
}

/** Plays Slack's part: signed slash commands and button clicks, sent over HTTP to the real Bolt receiver. */
export class SlackDriver {
  constructor(
    private readonly fake: FakeSlack,
    private readonly receiverUrl: string,
    private readonly signingSecret: string,
  ) {}

  /** Sends `/promote TEXT` as USER; returns the HTTP status and what the ack said. */
  async command(user: string, text: string, options: SendOptions & { channel?: string } = {}): Promise<{ status: number; text: string }> {
    const body = new URLSearchParams({
      token: 'legacy',
      team_id: 'T0TEAM',
      channel_id: options.channel ?? 'C0DEPLOYS',
      user_id: user,
      user_name: user.toLowerCase(),
      command: '/promote',
      text: text.replace(/^\/promote\s*/, ''),
      api_app_id: 'A0SHIPGATE',
      response_url: this.fake.responseUrl(user),
      trigger_id: `trigger-${Date.now()}`,
    }).toString();
    const response = await this.send(body, options);
    const raw = await response.text();
    let ackText = '';
    try {
      ackText = raw ? ((JSON.parse(raw) as { text?: string }).text ?? '') : '';
    } catch {
      ackText = raw;
    }
    return { status: response.status, text: ackText };
  }

  /** Clicks the button whose label starts with LABEL on MESSAGE, as USER. */
  async click(user: string, message: SlackMessage, label: string, options: SendOptions = {}): Promise<{ status: number }> {
    const current = this.fake.refreshed(message);
    const button = buttonsOf(current).find((b) => b.label.startsWith(label));
    if (!button) throw new Error(`no "${label}" button on the message; buttons: ${buttonsOf(current).map((b) => b.label).join(', ') || 'none'}`);
    const payload = {
      type: 'block_actions',
      ...interactionFrom(user),
      container: { type: 'message', message_ts: current.ts, channel_id: current.channel, is_ephemeral: false },
      channel: { id: current.channel, name: 'deploys' },
      message: { type: 'message', ts: current.ts, text: current.text, blocks: current.blocks },
      response_url: this.fake.responseUrl(user),
      actions: [{ type: 'button', action_id: button.actionId, block_id: button.block, value: button.value, text: { type: 'plain_text', text: button.label }, action_ts: `${Date.now() / 1000}` }],
    };
    const response = await this.send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), options);
    await response.text();
    return { status: response.status };
  }

  /** Submits a modal that Shipgate opened, with VALUES keyed by block id (selects take the option value). */
  async submitView(user: string, view: { callback_id: string; private_metadata?: string; blocks: { block_id?: string; element?: { type: string; action_id: string } }[] }, values: Record<string, string>) {
    const state: Record<string, Record<string, unknown>> = {};
    for (const block of view.blocks) {
      if (!block.block_id || !block.element) continue;
      const value = values[block.block_id];
      const { type, action_id } = block.element;
      state[block.block_id] = { [action_id]: type === 'static_select' ? { type, selected_option: value === undefined ? null : { value } } : { type, value: value ?? null } };
    }
    const payload = {
      type: 'view_submission',
      ...interactionFrom(user),
      view: { id: 'V0MODAL', type: 'modal', callback_id: view.callback_id, private_metadata: view.private_metadata ?? '', state: { values: state }, hash: 'h', team_id: 'T0TEAM', app_id: 'A0SHIPGATE', bot_id: 'B0BOT' },
    };
    const response = await this.send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /** Delivers an Events API event, as JSON, the way Slack does. */
  async event(event: Record<string, unknown>) {
    const body = JSON.stringify({ token: 'legacy', team_id: 'T0TEAM', api_app_id: 'A0SHIPGATE', type: 'event_callback', event_id: `Ev${Date.now()}`, event_time: Math.floor(Date.now() / 1000), event });
    const response = await this.send(body, {}, 'application/json');
    await response.text();
    return { status: response.status };
  }

  async send(body: string, options: SendOptions = {}, contentType = 'application/x-www-form-urlencoded'): Promise<Response> {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac('sha256', options.secret ?? this.signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const headers: Record<string, string> = {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
    };
    if (options.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(options.retryNum);
      headers['x-slack-retry-reason'] = 'http_timeout';
    }
    return fetch(`${options.url ?? this.receiverUrl}/slack/events`, { method: 'POST', headers, body });
  }
}
