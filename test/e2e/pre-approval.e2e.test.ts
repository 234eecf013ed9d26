import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buttonsOf, textOf, type SlackMessage } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { clickReply, replyTo } from '../support/reply-to.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';
import { QUEUE } from '../../src/queue/queues.js';

const { alice, rita, raj, mallory } = PEOPLE;
/** Production opens on Mondays 10:00–11:00 UTC; the clock starts on Wednesday 2 December 2026 at noon. */
const MONDAY_WINDOW = 'timezone: UTC\nwindows:\n  - days: [mon]\n    start: "10:00"\n    end: "11:00"\n';
const OPENS = Date.parse('2026-12-07T10:00:00Z');
const CLOSES = Date.parse('2026-12-07T11:00:00Z');


describe('pre-approval of promotions waiting for a window', () => {
  let h: Harness;
  let message: SlackMessage;
  beforeAll(async () => {
    h = await startShipgate({ calendars: { 'production.yml': MONDAY_WINDOW } });
    await h.bring('1.0.0', 'staging');
    h.shipgate.clock.set(Date.parse('2026-12-02T12:00:00Z'));
    ({ message } = await h.ask(alice, '/promote web 1.0.0 to production', 'C0PROD'));
  });
  afterAll(async () => h.close());

  it('binds approvals given while closed to the coming window, beyond expire_after, and shows them so', async () => {
    expect(await clickReply(h, rita, message, 'Approve')).toBe('Approved for the window opening Mon 10:00 UTC (1/2).');
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toContain('1/2: <@URITA> (pre-approved for the window opening Mon 10:00 UTC)'));
    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('scheduled'));
    const p = await h.shipgate.promotion(message);
    expect(p.scheduledFor).toBe(OPENS);
    expect(p.approvals.map((a) => a.window)).toEqual([
      { opens: OPENS, closes: CLOSES },
      { opens: OPENS, closes: CLOSES },
    ]);
    // expire_after is 4h, the window is five days away: no check is queued for a lapse before it.
    const queue = new Queue(QUEUE.deploy, { connection: h.shipgate.redis, prefix: h.shipgate.prefix });
    try {
      await eventually(async () => expect((await queue.getDelayed()).filter((j) => j.name === 'check-window').map((j) => j.data.at)).toEqual([OPENS]));
    } finally {
      await queue.close();
    }
  });

  it('takes approvals on the scheduled message from approvers only', async () => {
    await eventually(() => expect(buttonsOf(h.fake.refreshed(message)).map((b) => b.label)).toEqual(['Approve', 'Cancel']));
    expect(await clickReply(h, mallory, message, 'Approve')).toMatch(/You are not an approver for production/);
    expect(await clickReply(h, rita, message, 'Approve')).toBe('You already approved this promotion.');
    const { id } = await h.shipgate.promotion(message);
    const audit = (await h.shipgate.auditEntriesOf('web', 'production')).filter((e) => e.promotion === id);
    expect(audit.filter((e) => e.type === 'approval_refused').map((e) => e.actor)).toEqual([mallory]);
  });

  it('lets the pre-approvals lapse when their window passes without a deployment', async () => {
    const p = await h.shipgate.promotion(message);
    expect(await replyTo(h, rita, '/promote lock production maintenance')).toMatch(/locked/i);
    // The window opens while the lock holds the promotion back.
    h.shipgate.clock.set(OPENS + 1000);
    const queue = new Queue(QUEUE.deploy, { connection: h.shipgate.redis, prefix: h.shipgate.prefix });
    try {
      await (await queue.getJob(`window-${p.id}-${OPENS}`))!.promote();
    } finally {
      await queue.close();
    }
    await eventually(async () => expect((await h.shipgate.promotion(message)).heldBy).toBeTruthy());
    // It closes again before the lock is lifted: the approvals were for that window only.
    h.shipgate.clock.set(CLOSES + 1000);
    expect(await replyTo(h, rita, '/promote unlock production')).toMatch(/lifted|unlocked/i);
    await eventually(async () => {
      const after = await h.shipgate.promotion(message);
      expect(after.state).toBe('awaiting_approval');
      expect(after.heldBy).toBeUndefined();
    });
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/Approvals lapsed while this promotion waited for the lock/));
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/0\/2: ~<@URITA> \(pre-approved for the window opening Mon 10:00 UTC\)~ \(expired\)/));
    expect((await h.shipgate.auditEntriesOf('web', 'production')).filter((e) => e.promotion === p.id).map((e) => e.type)).toContain('approvals_lapsed');
    expect(h.deployTarget.calls.filter((c) => c.body.environment === 'production')).toEqual([]);
  });
});
