import { expect } from 'vitest';
import { eventually } from './eventually.js';
import type { Harness } from './start-shipgate.js';

/** The reply to a command: the ack for grammar errors, the response_url post for the rest. */
export async function replyTo(h: Harness, user: string, text: string): Promise<string> {
  const before = h.fake.responses.filter((r) => r.user === user).length;
  const ack = await h.slack.command(user, text);
  expect(ack.status).toBe(200);
  if (ack.text) return ack.text;
  return eventually(() => {
    const replies = h.fake.responses.filter((r) => r.user === user);
    expect(replies.length).toBeGreaterThan(before);
    return replies.at(-1)!.body.text ?? '';
  });
}
