import { afterEach, describe, expect, it } from 'vitest';
import { CHANNEL_RATE } from '../../src/slack/channel-rate.js';
import { eventually } from '../support/eventually.js';
import type { ApiCall } from '../support/fake-slack.js';
import { BURST_APPS, burstConfig, burstSettled, fireBurst } from '../support/slack-burst.js';
import { startShipgate, type Harness } from '../support/start-shipgate.js';

/**
 * Slack allows chat.postMessage "one message per second per channel", with "short
 * bursts >1" (https://docs.slack.dev/apis/web-api/rate-limits); chat.update shares the
 * budget. The rule Shipgate keeps: after a burst of CHANNEL_RATE.burst writes, one per
 * second, so any window of w seconds holds at most burst + w writes (after the burst,
 * at most 2 in any 1 s window). The fake times each call on arrival, some time after
 * the slot was taken (more on a loaded machine), hence an allowance on the window; a
 * queue-wide limiter overshoots this by far more.
 */
function worstExcess(writes: ApiCall[]): number {
  const { burst, intervalMs } = CHANNEL_RATE;
  const jitterMs = 500;
  let worst = -Infinity;
  for (let i = 0; i < writes.length; i++) {
    for (let j = i; j < writes.length; j++) {
      const allowed = burst + Math.floor((writes[j]!.at - writes[i]!.at + jitterMs) / intervalMs);
      worst = Math.max(worst, j - i + 1 - allowed);
    }
  }
  return worst;
}

describe("each channel's write rate", () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('stays within Slack’s rate in a busy channel, ends with the last state of every promotion, and does not hold back a quiet channel', async () => {
    h = await startShipgate({ config: burstConfig, slackRate: CHANNEL_RATE });
    const { fake } = h;
    const { ids, cancelled } = await fireBurst(h);

    // The quiet channel's promotion goes all the way while the busy channel still works through its queue.
    await eventually(() => {
      const message = fake.lastMessageIn('C0QUIET');
      expect(fake.refreshed(message).text).toMatch(/Deployed$/);
      expect(fake.thread(message)).toHaveLength(2);
    });

    // In the end every promotion message shows its last state, each posted once.
    await eventually(() => burstSettled(h, ids, cancelled), { timeoutMs: 90_000, intervalMs: 250 });
    expect(fake.topLevelIn('C0BURST')).toHaveLength(BURST_APPS.length);

    const busy = fake.writesTo('C0BURST');
    expect(worstExcess(busy)).toBeLessThanOrEqual(0);
    // Renders coalesce: beyond one post per promotion and one per note, only the cancelled messages needed an update.
    expect(busy.length).toBeLessThanOrEqual(BURST_APPS.length + 2 * cancelled.length);
    const quietWrites = fake.writesTo('C0QUIET');
    expect(quietWrites.at(-1)!.at).toBeLessThan(busy.at(-1)!.at);
  }, 120_000);
});
