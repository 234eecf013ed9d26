import { eventually } from './eventually.js';
import type { ApiCall } from './fake-slack.js';
import { PEOPLE, type Harness } from './start-shipgate.js';

export const BURST_APPS = Array.from({ length: 20 }, (_, i) => `app${i + 1}`);

/** Twenty apps reviewed in one busy channel (C0BURST); a quiet environment with a channel of its own (C0QUIET). */
export function burstConfig(deployUrl: string, prefix: string): string {
  return `
slack: { channel: C0BURST, usergroup_cache: 1s }
apps:
${BURST_APPS.map((app) => `  ${app}: { executor: target }`).join('\n')}
environments:
  review:
    channel: C0BURST
    approvals: { required: 1, approvers: [U0LEAD] }
  quiet:
    channel: C0QUIET
executors:
  target: { type: webhook, url: "${deployUrl}", secret: "\${DEPLOY_SECRET}", timeout: 2s, attempts: 3, backoff: 50ms }
queue: { prefix: "${prefix}", lock_duration: 2s, stalled_interval: 1s }
`;
}

/**
 * Asks for every app at once in the busy channel, cancels the first CANCELLED of them,
 * and promotes app1 in the quiet channel. Returns the promotion ids and those cancelled.
 */
export async function fireBurst(h: Harness, cancelled = 3): Promise<{ ids: string[]; cancelled: string[] }> {
  const { slack, shipgate } = h;
  await Promise.all(BURST_APPS.map((app) => slack.command(PEOPLE.alice, `/promote ${app} 1.0.0 to review`)));
  await eventually(async () => {
    if ((await shipgate.promotionCount()) !== BURST_APPS.length) throw new Error('not every request is recorded yet');
  });
  const ids = (await shipgate.store.recent(BURST_APPS.length)).map((p) => p.id);
  for (const id of ids.slice(0, cancelled)) await slack.command(PEOPLE.alice, `/promote cancel ${id}`);
  await slack.command(PEOPLE.alice, '/promote app1 1.0.0 to quiet');
  return { ids, cancelled: ids.slice(0, cancelled) };
}

/** Throws until every burst promotion's message shows its last state (and each cancelled one its note). */
export async function burstSettled(h: Harness, ids: string[], cancelled: string[]): Promise<void> {
  for (const id of ids) {
    const p = await h.shipgate.promotion(id);
    const kept = h.fake.messages.find((m) => m.channel === 'C0BURST' && m.ts === p.message.ts);
    const state = cancelled.includes(id) ? 'Cancelled' : 'Awaiting approval';
    if (!kept?.text.endsWith(state)) throw new Error(`${id} shows "${kept?.text ?? 'nothing'}", not ${state}`);
    const notes = h.fake.thread(kept).map((n) => n.text);
    const expected = cancelled.includes(id) ? [`<@${PEOPLE.alice}> cancelled this promotion.`] : [];
    if (JSON.stringify(notes) !== JSON.stringify(expected)) throw new Error(`${id} has the notes ${JSON.stringify(notes)}`);
  }
}

/** Writes per whole second since the first write, e.g. [3, 1, 1, 2, 1]. */
export function perSecond(writes: ApiCall[]): number[] {
  if (writes.length === 0) return [];
  const start = writes[0]!.at;
  const counts: number[] = [];
  for (const w of writes) {
    const second = Math.floor((w.at - start) / 1000);
    while (counts.length <= second) counts.push(0);
    counts[second]!++;
  }
  return counts;
}
