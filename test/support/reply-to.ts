import { expect } from 'vitest';
import { eventually } from './eventually.js';
import type { SlackMessage } from './fake-slack.js';
import type { Harness } from './start-shipgate.js';

/** The reply to a command: the ack for grammar errors, the response_url post for the rest. */
export async function replyTo(h: Harness, user: string, text: string): Promise<string> {
  const before = h.fake.responses.filter((r) => r.user === user).length;
  const ack = await h.slack.command(user, text);
  expect(ack.status).toBe(200);
  if (ack.text) return ack.text;
  return nextResponseTo(h, user, before);
}

/** Clicks LABEL on MESSAGE as USER and returns the ephemeral answer. */
export async function clickReply(h: Harness, user: string, message: SlackMessage, label: string): Promise<string> {
  const before = h.fake.responses.filter((r) => r.user === user).length;
  await h.slack.click(user, message, label);
  return nextResponseTo(h, user, before);
}

/** The first response_url post to USER after the BEFORE already there. */
function nextResponseTo(h: Harness, user: string, before: number): Promise<string> {
  return eventually(() => {
    const replies = h.fake.responses.filter((r) => r.user === user);
    expect(replies.length).toBeGreaterThan(before);
    return replies.at(-1)!.body.text ?? '';
  });
}
