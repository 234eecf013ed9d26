import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textOf, type SlackMessage } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { clickReply, replyTo } from '../support/reply-to.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';
import { chainName } from '../../src/store/audit-chain.js';

dayjs.extend(utc);
const { alice, rita, raj, quinn, mallory, lead } = PEOPLE;


const approvalsLine = (h: Harness, message: SlackMessage) => {
  const text = textOf(h.fake.refreshed(message));
  return /\*Approvals\*\n([^\n]*)/.exec(text)?.[1] ?? text;
};

describe('delegated approvals', () => {
  let h: Harness;
  const delegationsStored = async () => h.shipgate.redis.hget(h.shipgate.keys.delegations, 'json');
  const unscopedAudit = async () => (await h.shipgate.auditEntriesOf(null, null)).filter((e) => e.type === 'delegated' || e.type === 'undelegated');

  beforeAll(async () => {
    h = await startShipgate();
    await h.bring('1.4.0', 'staging');
  });
  afterAll(async () => h.close());

  it.each([
    ['a date in the past', rita, `/promote delegate <@${mallory}|mallory> until 2020-01-01 production`, /2020-01-02T00:00:00\.000Z is in the past/],
    ['a person written as a plain name', rita, '/promote delegate mallory until 2099-01-01', /`mallory` is not a person: mention them/],
    ['a date that is no date', rita, `/promote delegate <@${mallory}> until next-week`, /`next-week` is not a date/],
    ['someone who approves nothing', mallory, `/promote delegate <@${quinn}> until 2099-01-01`, /not an approver of any environment/],
    ['an environment the delegator may not approve', rita, `/promote delegate <@${mallory}> until 2099-01-01 staging`, /not an approver of staging, so you cannot delegate it. You approve: production/],
    ['a delegation to oneself', rita, `/promote delegate <@${rita}> until 2099-01-01`, /cannot delegate to yourself/],
    ['an undelegation of nobody', rita, `/promote undelegate <@${quinn}>`, /no delegation to <@UQUINN> in force/],
  ])('refuses %s with a clear answer and changes nothing', async (_case, user, text, expected) => {
    const [stored, audited] = [await delegationsStored(), (await unscopedAudit()).length];
    expect(await replyTo(h, user, text)).toMatch(expected);
    expect(await delegationsStored()).toBe(stored);
    expect((await unscopedAudit()).length).toBe(audited);
  });

  it('lets a delegate approve on behalf of the delegator, who then counts once', async () => {
    expect(await replyTo(h, rita, `/promote delegate <@${mallory}|mallory> until 2099-01-01 production`)).toMatch(/<@UMALLORY> may approve on your behalf in production until 2099-01-02T00:00:00\.000Z/);
    expect(JSON.parse((await delegationsStored())!)).toMatchObject([{ delegator: rita, delegate: mallory, environments: ['production'], until: Date.parse('2099-01-02T00:00:00Z') }]);
    expect(await unscopedAudit()).toMatchObject([{ type: 'delegated', actor: rita, chain: chainName(null, null), detail: { delegate: mallory, environments: 'production' } }]);
    expect(await replyTo(h, quinn, '/promote delegations')).toMatch(/<@UMALLORY> approves on behalf of <@URITA> in production/);

    const { message } = await h.ask(alice, '/promote web 1.4.0 to production', 'C0PROD');
    expect(await clickReply(h, mallory, message, 'Approve')).toBe('Approved on behalf of <@URITA> (1/2).');
    await eventually(() => expect(approvalsLine(h, message)).toBe('1/2: <@UMALLORY> (on behalf of <@URITA>)'));
    expect(await clickReply(h, rita, message, 'Approve')).toMatch(/<@UMALLORY> already approved this promotion on your behalf; you count once/);
    const p = await h.shipgate.promotion(message);
    expect(p.approvals).toMatchObject([{ user: mallory, onBehalfOf: rita, as: ['S0REL'] }]);

    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.4.0'));
    expect(h.deployTarget.calls.filter((c) => c.body.environment === 'production')).toHaveLength(1);
    const approved = (await h.shipgate.auditEntriesOf('web', 'production')).filter((e) => e.promotion === p.id && e.type === 'approved');
    expect(approved).toMatchObject([{ actor: mallory, detail: { on_behalf_of: rita } }, { actor: raj, detail: { on_behalf_of: null } }]);
  });

  it('never lets a requester approve their own promotion through a delegation', async () => {
    expect(await replyTo(h, raj, `/promote delegate <@${alice}> until 2099-01-01`)).toMatch(/<@UALICE> may approve on your behalf in production/);
    await h.bring('1.5.0', 'staging');
    const { message } = await h.ask(alice, '/promote web 1.5.0 to production', 'C0PROD');
    expect(await clickReply(h, alice, message, 'Approve')).toMatch(/You asked for this promotion; someone else must approve it/);
    const p = await h.shipgate.promotion(message);
    expect(p.approvals).toEqual([]);
    expect((await h.shipgate.auditEntriesOf('web', 'production')).filter((e) => e.promotion === p.id && e.type === 'approval_refused')).toMatchObject([{ actor: alice }]);
    // Mallory (for Rita) and Raj himself still may.
    await h.slack.click(mallory, message, 'Approve');
    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.5.0'));
  });

  it('stops counting a delegation once it is revoked, and once it has ended', async () => {
    expect(await replyTo(h, rita, `/promote undelegate <@${mallory}>`)).toMatch(/no longer approves on your behalf/);
    expect((await unscopedAudit()).at(-1)).toMatchObject({ type: 'undelegated', actor: rita, detail: { delegate: mallory } });
    await h.bring('1.6.0', 'staging');
    const { message } = await h.ask(lead, '/promote web 1.6.0 to production', 'C0PROD');
    expect(await clickReply(h, mallory, message, 'Approve')).toMatch(/You are not an approver for production/);

    // Raj's delegation to Alice ends tomorrow; after that she may not approve for him.
    const tomorrow = dayjs.utc(h.shipgate.clock.now()).add(1, 'day').format('YYYY-MM-DD');
    expect(await replyTo(h, raj, `/promote delegate <@${alice}> until ${tomorrow} production`)).toMatch(/may approve on your behalf in production/);
    h.shipgate.clock.advance(3 * 24 * 3600_000);
    expect(await clickReply(h, alice, message, 'Approve')).toMatch(/You are not an approver for production/);
    expect(await replyTo(h, quinn, '/promote delegations')).toBe('No delegations are in force.');
    expect((await h.shipgate.promotion(message)).approvals).toEqual([]);
  });
});

describe('all_of approvals', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startShipgate({
      config: (url, prefix) =>
        standardConfig(url, prefix).replace(
          '    approvals: { required: 2, approvers: [S0REL], self_approval: false, expire_after: 4h }',
          '    approvals: { all_of: [{ group: S0QA, required: 1, name: QA }, { group: S0REL, required: 1, name: Release }] }',
        ),
    });
    // Rita is in both groups here.
    h.fake.usergroups = { ...h.fake.usergroups, S0QA: [quinn, rita] };
    await h.bring('1.4.0', 'staging');
  });
  afterAll(async () => h.close());

  it('shows each group, counts a person in both groups once, and deploys when every quorum is met', async () => {
    const { message } = await h.ask(alice, '/promote web 1.4.0 to production', 'C0PROD');
    await eventually(() => expect(approvalsLine(h, message)).toBe('QA 0/1 · Release 0/1'));
    expect(await clickReply(h, mallory, message, 'Approve')).toMatch(/not an approver for production/);
    expect(await clickReply(h, alice, message, 'Approve')).toMatch(/someone else must approve it/);

    expect(await clickReply(h, rita, message, 'Approve')).toBe('Approved (QA 1/1 ✓ · Release 0/1).');
    await eventually(() => expect(approvalsLine(h, message)).toBe('QA 1/1 ✓ · Release 0/1: <@URITA>'));
    expect((await h.shipgate.promotion(message)).state).toBe('awaiting_approval');

    // Quinn can only fill QA, so Rita moves to Release: both quorums are met.
    await h.slack.click(quinn, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.4.0'));
    await eventually(() => expect(approvalsLine(h, message)).toBe('QA 1/1 ✓ · Release 1/1 ✓: <@URITA>, <@UQUINN>'));
    const p = await h.shipgate.promotion(message);
    expect(p.approvals).toMatchObject([
      { user: rita, as: ['S0QA', 'S0REL'] },
      { user: quinn, as: ['S0QA'] },
    ]);
    const audit = (await h.shipgate.auditEntriesOf('web', 'production')).filter((e) => e.promotion === p.id);
    expect(audit.filter((e) => e.type === 'approved').map((e) => e.detail.progress)).toEqual(['QA 1/1 ✓ · Release 0/1', 'QA 1/1 ✓ · Release 1/1 ✓']);
    expect(audit.filter((e) => e.type === 'approval_refused').map((e) => e.actor)).toEqual([mallory, alice]);
    expect(h.deployTarget.calls.filter((c) => c.body.environment === 'production')).toHaveLength(1);
  });
});
