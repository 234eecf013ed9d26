import { afterEach, describe, expect, it } from 'vitest';
import { textOf } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { replyTo } from '../support/reply-to.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, lead, quinn, rita, raj, omar, olga, mallory } = PEOPLE;

const productionCalls = (h: Harness) => h.deployTarget.calls.filter((c) => c.body.environment === 'production');


describe('locks stop the line', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('refuses a new promotion with who locked and why, lets the owner promote, and only approvers lock or unlock', async () => {
    h = await startShipgate();
    await h.bring('1.0.0', 'staging');
    await h.bring('1.1.0', 'development');

    expect(await replyTo(h, mallory, '/promote lock staging because I can')).toMatch(/Only an approver of staging can lock it/);
    expect(await replyTo(h, lead, '/promote lock staging database migration running')).toMatch(/Locked staging/);

    const refused = await replyTo(h, alice, '/promote web 1.1.0 to staging');
    expect(refused).toMatch(/staging is locked by <@U0LEAD>: database migration running\..*rollbacks still run.*`\/promote unlock staging`/);
    expect(await replyTo(h, alice, '/promote status')).toMatch(/:lock: staging locked by <@U0LEAD> since .*: database migration running/);
    expect(await replyTo(h, mallory, '/promote unlock staging')).toMatch(/Only an approver of staging can unlock it/);

    // The owner is not held back by their own lock.
    const { message } = await h.ask(lead, '/promote web 1.1.0 to staging', 'C0DEPLOYS');
    await h.slack.click(quinn, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'staging')).toBe('1.1.0'));

    expect(await replyTo(h, quinn, '/promote unlock staging')).toMatch(/Unlocked staging/);
    const facts = (await h.shipgate.auditEntriesOf(null, null)).map((e) => [e.type, e.actor]);
    expect(facts).toEqual([
      ['lock_refused', mallory],
      ['locked', lead],
      ['unlock_refused', mallory],
      ['unlocked', quinn],
    ]);
    expect(await h.shipgate.audit.verify()).toMatchObject({ ok: true });
  });

  it('lets a rollback run while production is locked', async () => {
    h = await startShipgate();
    await h.bring('1.0.0', 'production');
    await h.bring('1.1.0', 'production');
    await replyTo(h, rita, '/promote lock production checkout incident');

    const { message } = await h.ask(omar, '/promote rollback web production', 'C0PROD');
    await h.slack.click(olga, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.0.0'));
    expect(productionCalls(h).at(-1)?.body).toMatchObject({ kind: 'rollback', version: '1.0.0' });
  });

  it('holds a promotion approved during the lock, says why in its message, and deploys it once the lock is lifted', async () => {
    h = await startShipgate();
    await h.bring('1.0.0', 'production');
    await h.bring('1.1.0', 'staging');
    const { message } = await h.ask(alice, '/promote web 1.1.0 to production', 'C0PROD');
    await replyTo(h, rita, '/promote lock production web payment provider outage');

    await h.slack.click(rita, message, 'Approve');
    await h.slack.click(raj, message, 'Approve');
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/Approved, but waiting for the lock on web in production \(by <@URITA>: payment provider outage\)/));
    const held = await h.shipgate.promotion(message);
    expect(held.state).toBe('awaiting_approval');
    expect(held.heldBy).toMatchObject({ owner: rita, app: 'web' });
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/waiting for the lock on web in production \(by <@URITA>: payment provider outage\)/));
    expect(productionCalls(h).map((c) => c.body.version)).toEqual(['1.0.0']);

    expect(await replyTo(h, raj, '/promote unlock production web')).toMatch(/Unlocked web in production/);
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.1.0'));
    const facts = (await h.shipgate.auditEntriesOf('web', 'production')).map((e) => e.type);
    expect(facts.slice(facts.lastIndexOf('requested'))).toEqual(['requested', 'locked', 'approved', 'approved', 'held_by_lock', 'unlocked', 'deploy_started', 'deploy_called', 'deployed']);
  });
});
