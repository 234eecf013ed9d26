import { createHmac } from 'node:crypto';
import type { SlackStandIn, StoredMessage } from './slack-stand-in.js';

const TEAM = { id: 'T0PLAYGROUND', domain: 'playground' };
const APP_ID = 'A0SHIPGATE';

/** Slack's v0 request signature: HMAC-SHA256 of `v0:TIMESTAMP:BODY` with the signing secret. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface Button {
  action_id: string;
  value?: string;
  text: { text: string };
  block_id: string;
}

/** Every button of a message, with the block it sits in. */
export function buttonsOf(message: StoredMessage): Button[] {
  return message.blocks.flatMap((block) => {
    const elements = (block.elements as Record<string, unknown>[] | undefined) ?? [];
    const accessory = block.accessory ? [block.accessory as Record<string, unknown>] : [];
    return [...elements, ...accessory]
      .filter((e) => e.type === 'button')
      .map((e) => ({ action_id: String(e.action_id), value: e.value as string | undefined, text: e.text as { text: string }, block_id: String(block.block_id ?? '') }));
  });
}

/**
 * Plays Slack's part for the playground: what a person does on the page becomes the
 * request Slack would send, signed with the receiver's signing secret and posted to the
 * real Bolt receiver at /slack/events. What the receiver acks with is an ephemeral answer.
 */
export class SignedSlack {
  constructor(
    private readonly slack: SlackStandIn,
    private readonly receiverUrl: string,
    private readonly signingSecret: string,
  ) {}

  /** `/promote TEXT` typed by USER in CHANNEL. */
  async command(user: string, text: string, channel: string): Promise<{ status: number }> {
    const body = new URLSearchParams({
      token: 'unused',
      team_id: TEAM.id,
      team_domain: TEAM.domain,
      channel_id: channel,
      user_id: user,
      user_name: user.toLowerCase(),
      command: '/promote',
      text: text.replace(/^\s*\/promote\b\s*/, ''),
      api_app_id: APP_ID,
      response_url: this.slack.responseUrl(user, channel),
      trigger_id: triggerId(user),
    }).toString();
    return this.deliver(user, channel, body, 'application/x-www-form-urlencoded');
  }

  /** USER clicks the button ACTION_ID (with VALUE) on the message at CHANNEL/TS. */
  async click(user: string, channel: string, ts: string, actionId: string, value: string | undefined): Promise<{ status: number }> {
    const message = this.slack.message(channel, ts);
    if (!message) throw new PlaygroundRefusal('That message is gone; reload the page.');
    const button = buttonsOf(message).find((b) => b.action_id === actionId && (value === undefined || b.value === value));
    if (!button) throw new PlaygroundRefusal('That button is no longer on the message; it changed since the page drew it.');
    const payload = {
      type: 'block_actions',
      ...interactionFrom(user),
      container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: false },
      channel: { id: channel, name: channel },
      message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks },
      response_url: this.slack.responseUrl(user, channel),
      actions: [{ type: 'button', action_id: button.action_id, block_id: button.block_id, value: button.value, text: { type: 'plain_text', text: button.text.text }, action_ts: `${Date.now() / 1000}` }],
    };
    return this.deliver(user, channel, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded');
  }

  /** USER submits the modal Shipgate opened for them, with VALUES keyed by block id. */
  async submitModal(user: string, values: Record<string, string>): Promise<{ status: number; errors: Record<string, string> }> {
    const view = this.slack.modals.get(user) as { callback_id?: string; private_metadata?: string; blocks?: { block_id?: string; element?: { type: string; action_id: string } }[] } | undefined;
    if (!view) throw new PlaygroundRefusal('No dialog is open; type /promote with nothing after it to open one.');
    const state: Record<string, Record<string, unknown>> = {};
    for (const block of view.blocks ?? []) {
      if (!block.block_id || !block.element) continue;
      const value = values[block.block_id];
      const { type, action_id } = block.element;
      state[block.block_id] = { [action_id]: type === 'static_select' ? { type, selected_option: value ? { value } : null } : { type, value: value || null } };
    }
    const payload = {
      type: 'view_submission',
      ...interactionFrom(user),
      view: { id: 'V0MODAL', type: 'modal', callback_id: view.callback_id, private_metadata: view.private_metadata ?? '', state: { values: state }, hash: 'h', team_id: TEAM.id, app_id: APP_ID, bot_id: 'B0SHIPGATE' },
    };
    const response = await this.send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded');
    const text = await response.text();
    const answer = text ? (JSON.parse(text) as { response_action?: string; errors?: Record<string, string> }) : {};
    if (response.status === 200 && answer.response_action !== 'errors') {
      this.slack.modals.delete(user);
      this.slack.emit('change');
    }
    return { status: response.status, errors: answer.errors ?? {} };
  }

  /** USER opens the app's Home tab. */
  async openHome(user: string): Promise<{ status: number }> {
    const body = JSON.stringify({
      token: 'unused',
      team_id: TEAM.id,
      api_app_id: APP_ID,
      type: 'event_callback',
      event_id: `Ev${Date.now()}${Math.floor(Math.random() * 1000)}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user, channel: `D${user.slice(1)}`, tab: 'home', event_ts: `${Date.now() / 1000}` },
    });
    const response = await this.send(body, 'application/json');
    await response.text();
    return { status: response.status };
  }

  private async deliver(user: string, channel: string, body: string, contentType: string): Promise<{ status: number }> {
    const response = await this.send(body, contentType);
    const raw = await response.text();
    if (response.status !== 200) throw new PlaygroundRefusal(`The Shipgate receiver answered ${response.status}; see the playground's log.`);
    // An ack with a body is the answer Slack shows only to the person who acted.
    if (raw) {
      const ack = JSON.parse(raw) as { text?: string; blocks?: Record<string, unknown>[] };
      if (ack.text || ack.blocks) this.slack.addEphemeral(user, channel, ack.text ?? '', ack.blocks ?? []);
    }
    return { status: response.status };
  }

  private send(body: string, contentType: string): Promise<Response> {
    const timestamp = Math.floor(Date.now() / 1000);
    return fetch(`${this.receiverUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(this.signingSecret, timestamp, body) },
      body,
    });
  }
}

/** Something a person did on the page that cannot be done; the sentence is shown to them. */
export class PlaygroundRefusal extends Error {}

function triggerId(user: string): string {
  return `trigger-${user}-${Date.now()}`;
}

function interactionFrom(user: string) {
  return {
    team: TEAM,
    user: { id: user, username: user.toLowerCase(), team_id: TEAM.id },
    api_app_id: APP_ID,
    token: 'unused',
    trigger_id: triggerId(user),
  };
}
