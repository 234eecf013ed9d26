import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { textOf, type SlackMessage } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';
import { QUEUE } from '../../src/queue/queues.js';

const { alice, rita, raj } = PEOPLE;

/** Production names its approvers by id (so those who approved can be left out), reminds after REMIND and escalates to S0LEADS a second later. */
const reminding =
  (remind = 1) =>
  (deployUrl: string, prefix: string) =>
    standardConfig(deployUrl, prefix).replace(
      '    approvals: { required: 2, approvers: [S0REL], self_approval: false, expire_after: 4h }',
      `    approvals: { required: 2, approvers: [${rita}, ${raj}, ${alice}], self_approval: false, remind_after: ${remind}s, escalate_after: ${remind + 1}s, escalate_to: S0LEADS }`,
    );
const remindingConfig = reminding();

const pings = (h: Harness, message: SlackMessage, mark: string) => h.fake.thread(message).map(textOf).filter((t) => t.includes(mark));

describe('reminders and escalation of promotions waiting for approval', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('pings who can still approve, then escalates, once each, and audits both', async () => {
    // Long enough for Rita's click to land first on a busy machine.
    h = await startShipgate({ config: reminding(3) });
    await h.bring('1.4.0', 'staging');
    const { message } = await h.ask(alice, '/promote web 1.4.0 to production', 'C0PROD');
    await h.slack.click(rita, message, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(message)).approvals.map((a) => a.user)).toEqual([rita]));

    const [reminder] = await eventually(() => {
      const found = pings(h, message, ':bell:');
      expect(found).toHaveLength(1);
      return found;
    });
    // Raj can still approve; Rita already did, and Alice asked for it (no self-approval).
    expect(reminder).toContain(`<@${raj}>`);
    expect(reminder).not.toContain(`<@${rita}>`);
    expect(reminder).not.toContain(`<@${alice}>`);
    expect(reminder).toContain('(1/2)');

    const [escalation] = await eventually(() => {
      const found = pings(h, message, ':rotating_light: Escalating');
      expect(found).toHaveLength(1);
      return found;
    });
    expect(escalation).toContain('<!subteam^S0LEADS>');

    const p = await h.shipgate.promotion(message);
    expect(p.state).toBe('awaiting_approval');
    expect(p.reminded?.map((r) => r.stage)).toEqual(['remind', 'escalate']);
    const audit = (await h.shipgate.auditEntriesOf('web', 'production')).filter((e) => e.promotion === p.id);
    expect(audit.filter((e) => e.type === 'approval_reminder')).toMatchObject([{ actor: 'shipgate', detail: { pinged: raj, progress: '1/2' } }]);
    expect(audit.filter((e) => e.type === 'approval_escalated')).toMatchObject([{ actor: 'shipgate', detail: { pinged: 'S0LEADS' } }]);

    // The approval still moves it on after the escalation.
    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.4.0'));
  });

  it('sends nothing once the promotion moved on before the reminder was due', async () => {
    h = await startShipgate({ config: remindingConfig });
    await h.bring('1.4.0', 'staging');
    const { message } = await h.ask(alice, '/promote web 1.4.0 to production', 'C0PROD');
    const p = await h.shipgate.promotion(message);
    await h.slack.click(rita, message, 'Reject');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('rejected'));

    // Both jobs ran (they were queued with the request) and did nothing.
    const queue = new Queue(QUEUE.deploy, { connection: h.shipgate.redis, prefix: h.shipgate.prefix });
    try {
      for (const stage of ['remind', 'escalate']) {
        const due = p.requestedAt + (stage === 'remind' ? 1000 : 2000);
        await eventually(async () => expect(await (await queue.getJob(`remind-${p.id}-${stage}-${due}`))?.getState()).toBe('completed'), { timeoutMs: 15_000 });
      }
    } finally {
      await queue.close();
    }
    expect(h.fake.thread(message).map(textOf).filter((t) => t.includes(':bell:') || t.includes('Escalating'))).toEqual([]);
    expect((await h.shipgate.promotion(message)).reminded).toBeUndefined();
    expect((await h.shipgate.auditEntries()).filter((e) => e.type === 'approval_reminder' || e.type === 'approval_escalated')).toEqual([]);
  });

  it('pings once with two workers and a duplicate of the job', async () => {
    h = await startShipgate({ config: remindingConfig });
    await h.shipgate.startWorker();
    await h.bring('1.4.0', 'staging');
    const { message } = await h.ask(alice, '/promote web 1.4.0 to production', 'C0PROD');
    const p = await h.shipgate.promotion(message);
    const queue = new Queue(QUEUE.deploy, { connection: h.shipgate.redis, prefix: h.shipgate.prefix });
    try {
      // The same reminder delivered again under other ids (a retried relay, a sweep racing it).
      const at = p.requestedAt + 1000;
      await Promise.all([1, 2, 3].map((n) => queue.add('remind', { promotionId: p.id, at, stage: 'remind' }, { jobId: `again-${n}`, delay: 1000 })));
      await eventually(async () => {
        for (const n of [1, 2, 3]) expect(await (await queue.getJob(`again-${n}`))?.getState()).toBe('completed');
        expect(await (await queue.getJob(`remind-${p.id}-remind-${at}`))?.getState()).toBe('completed');
      }, { timeoutMs: 15_000 });
    } finally {
      await queue.close();
    }
    await eventually(() => expect(pings(h, message, ':bell:')).toHaveLength(1));
    expect((await h.shipgate.auditEntries()).filter((e) => e.type === 'approval_reminder')).toHaveLength(1);
    expect((await h.shipgate.promotion(message)).reminded).toEqual([{ stage: 'remind', at: p.requestedAt + 1000 }]);
  });
});
