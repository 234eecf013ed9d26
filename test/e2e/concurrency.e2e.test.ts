import { afterEach, describe, expect, it } from 'vitest';
import { textOf, type SlackMessage } from '../support/fake-slack.js';
import { eventually, sleep } from '../support/eventually.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, quinn, rita, raj } = PEOPLE;

/** Brings web 2.0.0 to staging, so the test can ask for production. */
const readyForProduction = (h: Harness) => h.bring('2.0.0', 'staging');

const productionCalls = (h: Harness) => h.deployTarget.calls.filter((c) => c.body.environment === 'production');

describe('concurrent clicks', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('counts a double click once', async () => {
    h = await startShipgate();
    await readyForProduction(h);
    const { message } = await h.ask(alice, '/promote web 2.0.0 to production', 'C0PROD');
    const statuses = await Promise.all(Array.from({ length: 5 }, () => h.slack.click(rita, message, 'Approve')));
    expect(statuses.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
    // Clicks are acknowledged before they are handled: wait until all five have been answered.
    await eventually(() => expect(h.fake.responses.filter((r) => r.user === rita && /already approved/.test(r.body.text ?? ''))).toHaveLength(4));
    const p = await h.shipgate.promotion(message);
    expect(p.approvals.map((a) => a.user)).toEqual([rita]);
    expect(p.state).toBe('awaiting_approval');
    expect((await h.shipgate.auditEntries()).filter((e) => e.type === 'approved')).toHaveLength(2); // staging's and this one
  });

  it('ignores a Slack retry of a click that was already handled', async () => {
    h = await startShipgate();
    await readyForProduction(h);
    const { message } = await h.ask(alice, '/promote web 2.0.0 to production', 'C0PROD');
    await h.slack.click(rita, message, 'Approve');
    await h.slack.click(rita, message, 'Approve', { retryNum: 1 });
    await h.slack.click(rita, message, 'Approve', { retryNum: 2 });
    await eventually(() => expect(h.fake.responses.filter((r) => r.user === rita)).toHaveLength(3));
    expect((await h.shipgate.promotion(message)).approvals.map((a) => a.user)).toEqual([rita]);
  });

  it('deploys exactly once when the last two approvers click at the same moment on two replicas', async () => {
    h = await startShipgate({ replicas: 1 });
    await readyForProduction(h);
    const { message } = await h.ask(alice, '/promote web 2.0.0 to production', 'C0PROD');
    const [first, second] = h.shipgate.receivers;
    await Promise.all([
      h.slack.click(rita, message, 'Approve', { url: first }),
      h.slack.click(raj, message, 'Approve', { url: second }),
      h.slack.click(raj, message, 'Approve', { url: first }),
      h.slack.click(rita, message, 'Approve', { url: second }),
    ]);
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('2.0.0'));
    const p = await h.shipgate.promotion(message);
    expect(p.approvals.map((a) => a.user).sort()).toEqual([raj, rita].sort());
    await sleep(300); // time for a duplicate deploy job, were there one
    expect(productionCalls(h)).toHaveLength(1);
    expect((await h.shipgate.auditEntries()).filter((e) => e.type === 'deploy_started' && e.environment === 'production')).toHaveLength(1);
    expect(await h.shipgate.audit.verify()).toMatchObject({ ok: true });
  });

  it('handles the same click delivered to two replicas as one approval', async () => {
    h = await startShipgate({ replicas: 1 });
    await readyForProduction(h);
    const { message } = await h.ask(alice, '/promote web 2.0.0 to production', 'C0PROD');
    const [first, second] = h.shipgate.receivers;
    await Promise.all([h.slack.click(rita, message, 'Approve', { url: first }), h.slack.click(rita, message, 'Approve', { url: second })]);
    await eventually(() => expect(h.fake.responses.filter((r) => r.user === rita)).toHaveLength(2));
    expect((await h.shipgate.promotion(message)).approvals.map((a) => a.user)).toEqual([rita]);
    expect(h.fake.responses.filter((r) => r.user === rita).map((r) => r.body.text).sort()).toEqual(['Approved (1/2).', 'You already approved this promotion.']);
  });

  it('lets only one of two simultaneous requests for the same target through', async () => {
    h = await startShipgate({ replicas: 1 });
    await readyForProduction(h);
    const before = await h.shipgate.promotionCount();
    const [first, second] = h.shipgate.receivers;
    await Promise.all([h.slack.command(alice, '/promote web 2.0.0 to production', { url: first }), h.slack.command(quinn, '/promote web 2.0.0 to production', { url: second })]);
    await eventually(() => expect(h.fake.responses.filter((r) => /in flight/.test(r.body.text ?? ''))).toHaveLength(1));
    expect(await h.shipgate.promotionCount()).toBe(before + 1);
    await eventually(() => expect(h.fake.topLevelIn('C0PROD')).toHaveLength(1));
  });
});

describe('user group membership', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('asks Slack once per group while the cached members are fresh', async () => {
    h = await startShipgate({ config: (url, prefix) => standardConfig(url, prefix).replace('usergroup_cache: 1s', 'usergroup_cache: 60s') });
    await readyForProduction(h);
    const { message } = await h.ask(alice, '/promote web 2.0.0 to production', 'C0PROD');
    await h.slack.click(PEOPLE.mallory, message, 'Approve');
    await eventually(() => expect(h.fake.lastEphemeralTo(PEOPLE.mallory)).toMatch(/not an approver/));
    await h.slack.click(rita, message, 'Approve');
    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('2.0.0'));
    expect(h.fake.callsTo('usergroups.users.list').filter((c) => c.args.usergroup === 'S0REL')).toHaveLength(1);
  });
});

describe('approval expiry', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('no longer counts an approval older than expire_after', async () => {
    h = await startShipgate();
    await readyForProduction(h);
    const { message } = await h.ask(alice, '/promote web 2.0.0 to production', 'C0PROD');
    await h.slack.click(rita, message, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(message)).approvals).toHaveLength(1));
    h.shipgate.clock.advance(4 * 3600 * 1000 + 1000);
    await h.slack.click(raj, message, 'Approve');
    await eventually(() => expect(h.fake.lastEphemeralTo(raj)).toMatch(/Approved \(1\/2\)/));
    let p = await h.shipgate.promotion(message);
    expect(p.state).toBe('awaiting_approval');
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/~<@URITA>~ \(expired\)/));
    await h.slack.click(rita, message, 'Approve'); // a fresh approval replaces the lapsed one
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('2.0.0'));
    p = await h.shipgate.promotion(message);
    expect(p.approvals.map((a) => a.user)).toEqual([raj, rita]);
  });
});

describe('Slack signatures', () => {
  let h: Harness;
  afterEach(async () => h.close());

  async function expectNothingChanged(message: SlackMessage, approvals: number) {
    expect((await h.shipgate.promotion(message)).approvals).toHaveLength(approvals);
  }

  it('answers 401 to forged and stale requests and changes nothing', async () => {
    h = await startShipgate();
    await readyForProduction(h);
    const { message } = await h.ask(alice, '/promote web 2.0.0 to production', 'C0PROD');
    const count = await h.shipgate.promotionCount();

    expect((await h.slack.click(rita, message, 'Approve', { secret: 'not-the-secret' })).status).toBe(401);
    expect((await h.slack.click(rita, message, 'Approve', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })).status).toBe(401);
    expect((await h.slack.command(alice, '/promote web 2.0.0 to production', { secret: 'not-the-secret' })).status).toBe(401);
    const unsigned = await fetch(`${h.shipgate.receivers[0]}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'command=%2Fpromote&text=help' });
    expect(unsigned.status).toBe(401);
    await sleep(200);
    await expectNothingChanged(message, 0);
    expect(await h.shipgate.promotionCount()).toBe(count);

    // A genuine click a moment earlier than five minutes still works.
    expect((await h.slack.click(rita, message, 'Approve', { timestamp: Math.floor(Date.now() / 1000) - 4 * 60 })).status).toBe(200);
    await eventually(() => expectNothingChanged(message, 1));
  });
});
