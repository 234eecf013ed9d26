import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { textOf, type SlackMessage } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { replyTo } from '../support/reply-to.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, quinn, rita, raj, mallory } = PEOPLE;

/**
 * Every refusal answers the person with what to do instead and records nothing.
 * One Shipgate for the file: web 1.5.0 runs in development, 1.4.1 in staging, 1.4.0 in production.
 */
describe('refusals', () => {
  let h: Harness;
  let nothingRecorded: () => Promise<void>;

  beforeAll(async () => {
    h = await startShipgate();
    await h.bring('1.4.0', 'production');
    await h.bring('1.4.1', 'staging');
    await h.bring('1.5.0', 'development');
  });
  afterAll(async () => h.close());

  beforeEach(async () => {
    const count = await h.shipgate.promotionCount();
    const audit = (await h.shipgate.auditEntries()).length;
    // Thread notes of earlier promotions may still be arriving; a refusal must post no new promotion message.
    const posts = h.fake.messages.filter((m) => !m.thread_ts).length;
    const deploys = h.deployTarget.calls.length;
    nothingRecorded = async () => {
      expect(await h.shipgate.promotionCount()).toBe(count);
      expect((await h.shipgate.auditEntries()).length).toBe(audit);
      expect(h.fake.messages.filter((m) => !m.thread_ts).length).toBe(posts);
      expect(h.deployTarget.calls.length).toBe(deploys);
    };
  });



  it.each([
    ['an unknown app', '/promote shop 1.4.1 to staging', /no app called `shop`. Known apps: web/],
    ['an unknown environment', '/promote web 1.4.1 to prod', /no environment called `prod`. Environments: development, staging, production/],
    ['a malformed version', '/promote web latest to staging', /`latest` is not a version/],
    ['a missing environment', '/promote web 1.4.1', /Say which environment/],
    ['a version not running in the environment it comes from', '/promote web 1.3.9 to staging', /1\.3\.9 is not what runs in development \(it runs 1\.5\.0\).*promote 1\.3\.9 to development first/],
    ['a path that skips staging', '/promote web 1.5.0 to production', /1\.5\.0 is not what runs in staging \(it runs 1\.4\.1\).*promote 1\.5\.0 to staging first/],
    ['a version already live', '/promote web 1.4.1 to staging', /1\.4\.1 is already live in staging/],
    ['a rollback with nothing earlier', '/promote rollback web development to 9.9.9', /9\.9\.9 never ran in development/],
    ['a cancel of an unknown promotion', '/promote cancel sg-99999', /no promotion sg-99999/],
    ['a status of an unknown app', '/promote status shop', /no app called `shop`/],
  ])('refuses %s, says what to do, and records nothing', async (_case, text, expected) => {
    expect(await replyTo(h, alice, text)).toMatch(expected);
    await nothingRecorded();
  });

  it('answers help with the grammar', async () => {
    expect(await replyTo(h, alice, '/promote help')).toMatch(/\/promote APP VERSION to ENV[\s\S]*\/promote rollback APP ENV[\s\S]*\/promote status/);
    await nothingRecorded();
  });

  it('shows what runs where and what waits', async () => {
    const reply = await replyTo(h, alice, '/promote status web');
    expect(reply).toMatch(/development: 1\.5\.0/);
    expect(reply).toMatch(/staging: 1\.4\.1/);
    expect(reply).toMatch(/production: 1\.4\.0/);
  });

  describe('on a production promotion waiting for approval', () => {
    let message: SlackMessage;
    let id: string;
    beforeAll(async () => {
      ({ message } = await h.ask(alice, '/promote web 1.4.1 to production', 'C0PROD'));
      id = (await h.shipgate.promotion(message)).id;
    });

    it('refuses a second request for the same app and environment while one is in flight', async () => {
      expect(await replyTo(h, alice, '/promote web 1.4.1 to production again')).toMatch(new RegExp(`already has a promotion in flight to production \\(${id}`));
      await nothingRecorded();
    });

    it('shows the waiting promotion in status', async () => {
      expect(await replyTo(h, alice, '/promote status')).toMatch(new RegExp(`${id}: 1\\.4\\.1 awaiting approval`));
    });

    it('does not let the requester approve their own production promotion', async () => {
      await h.slack.click(alice, message, 'Approve');
      await eventually(() => expect(h.fake.lastEphemeralTo(alice)).toMatch(/someone else must approve/));
      expect((await h.shipgate.promotion(id)).approvals).toEqual([]);
      expect((await h.shipgate.auditEntries()).at(-1)).toMatchObject({ type: 'approval_refused', actor: alice, promotion: id });
    });

    it('does not let someone outside the approver groups approve', async () => {
      await h.slack.click(mallory, message, 'Approve');
      await eventually(() => expect(h.fake.lastEphemeralTo(mallory)).toMatch(/not an approver for production. Approvers: <!subteam\^S0REL>/));
      expect((await h.shipgate.promotion(id)).approvals).toEqual([]);
    });

    it('does not let a staging approver approve production', async () => {
      await h.slack.click(quinn, message, 'Approve');
      await eventually(() => expect(h.fake.lastEphemeralTo(quinn)).toMatch(/not an approver for production/));
      expect((await h.shipgate.promotion(id)).approvals).toEqual([]);
    });

    it('does not let a bystander cancel or reject', async () => {
      await h.slack.click(mallory, message, 'Cancel');
      await eventually(() => expect(h.fake.lastEphemeralTo(mallory)).toMatch(/Only the person who asked for this promotion, or an approver, can cancel it/));
      await h.slack.click(mallory, message, 'Reject');
      await eventually(() => expect(h.fake.lastEphemeralTo(mallory)).toMatch(/Only an approver for production can reject/));
      expect((await h.shipgate.promotion(id)).state).toBe('awaiting_approval');
    });

    it('lets an approver reject, which ends it, and buttons go away', async () => {
      await h.slack.click(rita, message, 'Approve');
      await h.slack.click(raj, message, 'Reject');
      await eventually(async () => expect((await h.shipgate.promotion(id)).state).toBe('rejected'));
      await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Rejected by <@URAJ>/));
      expect(h.fake.refreshed(message).blocks.some((b) => b.type === 'actions')).toBe(false);
      await h.slack.click(rita, message, 'Approve').catch(() => undefined);
      expect(h.deployTarget.calls.filter((c) => c.body.environment === 'production' && c.body.version === '1.4.1')).toHaveLength(0);
    });
  });

  it('lets the requester cancel with /promote cancel, and the slot frees up', async () => {
    const { message } = await h.ask(alice, '/promote web 1.4.1 to production', 'C0PROD');
    const id = (await h.shipgate.promotion(message)).id;
    expect(await replyTo(h, alice, `/promote cancel ${id}`)).toMatch(/Cancelled/);
    expect((await h.shipgate.promotion(id)).state).toBe('cancelled');
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Cancelled by <@UALICE>/));
    expect(await replyTo(h, alice, `/promote cancel ${id}`)).toMatch(/already cancelled/);
    const { message: again } = await h.ask(alice, '/promote web 1.4.1 to production', 'C0PROD');
    await h.slack.click(alice, again, 'Cancel');
    await eventually(async () => expect((await h.shipgate.promotion(again)).state).toBe('cancelled'));
  });

  it('explains a free Slack plan that cannot read user groups, and still accepts approvers listed by id', async () => {
    h.fake.usergroupError = 'plan_upgrade_required';
    await h.shipgate.redis.del(h.shipgate.keys.usergroup('S0REL'), h.shipgate.keys.usergroup('S0QA'));
    try {
      const { message } = await h.ask(alice, '/promote web 1.4.1 to production', 'C0PROD');
      await h.slack.click(rita, message, 'Approve');
      await eventually(() => expect(h.fake.lastEphemeralTo(rita)).toMatch(/plan does not let apps read user groups \(plan_upgrade_required\).*List approvers by user id/));
      expect((await h.shipgate.promotion(message)).approvals).toEqual([]);
      await h.slack.click(alice, message, 'Cancel');
      await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('cancelled'));
    } finally {
      h.fake.usergroupError = null;
    }
  });
});
