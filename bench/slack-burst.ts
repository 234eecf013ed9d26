/**
 * Slack writes under a burst: twenty promotions asked for at once in one channel (three
 * of them cancelled), and one promotion in a quiet channel, with Slack's channel rate
 * (CHANNEL_RATE). Prints the writes (chat.postMessage + chat.update) per channel per
 * second, the worst second, and the time until every message shows its last state, next
 * to the floor the rate allows for that many writes.
 *
 *   npx tsx bench/slack-burst.ts
 */
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE, type SlackJob } from '../src/queue/queues.js';
import { CHANNEL_RATE } from '../src/slack/channel-rate.js';
import { eventually } from '../test/support/eventually.js';
import { burstConfig, burstSettled, fireBurst, perSecond } from '../test/support/slack-burst.js';
import { startShipgate } from '../test/support/start-shipgate.js';

const h = await startShipgate({ config: burstConfig, slackRate: CHANNEL_RATE });
// Every render job added, by promotion: read back as soon as it is added (it then waits for its channel's slot).
const connection = new Redis(h.shipgate.runtimeOptions.redisUrl, { maxRetriesPerRequest: null });
const slackQueue = new Queue<SlackJob>(QUEUE.slack, { connection, prefix: h.shipgate.prefix });
const events = new QueueEvents(QUEUE.slack, { connection: connection.duplicate(), prefix: h.shipgate.prefix });
await events.waitUntilReady();
const renderJobs = new Map<string, number>();
events.on('added', ({ jobId, name }) => {
  if (name !== 'render') return;
  void slackQueue.getJob(jobId).then((job) => {
    const id = job && job.data.kind === 'render' ? job.data.promotionId : 'gone before it was read';
    renderJobs.set(id, (renderJobs.get(id) ?? 0) + 1);
  });
});
const start = performance.now();
const { ids, cancelled } = await fireBurst(h);
await eventually(() => burstSettled(h, ids, cancelled), { timeoutMs: 180_000, intervalMs: 50 });
const settledMs = performance.now() - start;

const quietDone = h.fake.writesTo('C0QUIET').at(-1)?.at ?? 0;
const firstWrite = Math.min(...h.fake.calls.map((c) => c.at));
console.log(`channel rate: burst ${CHANNEL_RATE.burst}, then 1 write per ${CHANNEL_RATE.intervalMs} ms`);
for (const channel of ['C0BURST', 'C0QUIET']) {
  const writes = h.fake.writesTo(channel);
  const seconds = perSecond(writes);
  console.log(`${channel}: ${writes.length} writes; per second: [${seconds.join(', ')}]; worst second ${Math.max(...seconds)}`);
}
const busyWrites = h.fake.writesTo('C0BURST').length;
const floorMs = Math.max(0, busyWrites - CHANNEL_RATE.burst) * CHANNEL_RATE.intervalMs;
console.log(`settled after ${(settledMs / 1000).toFixed(1)} s; the rate allows ${(floorMs / 1000).toFixed(1)} s at best (ratio ${(settledMs / Math.max(1, floorMs)).toFixed(2)}x)`);
console.log(`quiet channel done ${((quietDone - firstWrite) / 1000).toFixed(1)} s after the first write, ${((settledMs - (quietDone - firstWrite)) / 1000).toFixed(1)} s before the busy one settled`);
const perPromotion = ids.map((id) => renderJobs.get(id) ?? 0);
console.log(`render jobs per burst promotion: [${perPromotion.join(', ')}]; at most ${Math.max(...perPromotion)}, ${perPromotion.reduce((a, b) => a + b, 0)} in all for ${ids.length} promotions; a change while a render waits adds none: the waiting one reads the last state`);
if (renderJobs.has('gone before it was read')) console.log(`render jobs done before they could be read: ${renderJobs.get('gone before it was read')}`);
await events.close();
await slackQueue.close();
connection.disconnect();
await h.close();
