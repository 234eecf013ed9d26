import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { textOf } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { DEPLOY_SECRET, PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, quinn, rita, raj, omar, olga } = PEOPLE;

describe('a version moves from development to production and back', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startShipgate();
  });
  afterEach(async () => h.close());

  it('deploys through every environment with its approvals, then rolls production back with one click', async () => {
    const { slack, fake, deployTarget, shipgate } = h;

    // development: no approvals, deploys at once.
    await h.ask(alice, '/promote web 1.4.1 to development', 'C0DEPLOYS');
    await eventually(() => expect(deployTarget.calls).toHaveLength(1));
    await eventually(async () => expect(await shipgate.live('web', 'development')).toBe('1.4.1'));
    const { message: staging141 } = await h.ask(alice, '/promote web 1.4.1 to staging', 'C0DEPLOYS');
    expect(textOf(staging141)).toContain('Awaiting approval');
    await slack.click(quinn, staging141, 'Approve');
    await eventually(async () => expect(await shipgate.live('web', 'staging')).toBe('1.4.1'));
    const { message: production141 } = await h.ask(alice, '/promote web 1.4.1 to production', 'C0PROD');
    await slack.click(rita, production141, 'Approve');
    await slack.click(raj, production141, 'Approve');
    await eventually(async () => expect(await shipgate.live('web', 'production')).toBe('1.4.1'));

    // The version under test, 1.4.2, takes the same road.
    await h.ask(alice, '/promote web 1.4.2 development', 'C0DEPLOYS');
    await eventually(async () => expect(await shipgate.live('web', 'development')).toBe('1.4.2'));
    const { message: staging142 } = await h.ask(alice, '/promote web 1.4.2 to staging', 'C0DEPLOYS');
    await slack.click(quinn, staging142, 'Approve');
    await eventually(async () => expect(await shipgate.live('web', 'staging')).toBe('1.4.2'));

    const { ack, message } = await h.ask(alice, '/promote web 1.4.2 to production checkout fix for <!channel>', 'C0PROD');
    expect(ack.status).toBe(200);
    const shown = textOf(message);
    expect(shown).toContain('web 1.4.2 to production');
    expect(shown).toContain('staging → production');
    expect(shown).toContain(`<@${alice}>`);
    expect(shown).toContain('0/2');
    expect(shown).toContain('checkout fix for &lt;!channel&gt;');
    expect(shown).not.toContain('<!channel>');

    await slack.click(rita, message, 'Approve');
    await eventually(() => expect(textOf(fake.refreshed(message))).toContain(`1/2: <@${rita}>`));
    expect(deployTarget.calls.filter((c) => c.body.environment === 'production')).toHaveLength(1);
    await slack.click(raj, message, 'Approve');
    await eventually(async () => expect(await shipgate.live('web', 'production')).toBe('1.4.2'));
    await eventually(() => expect(textOf(fake.refreshed(message))).toContain('Deployed'));

    // What the deploy target received: the contract, signed, with the promotion id as idempotency key.
    const call = deployTarget.calls.at(-1)!;
    const record = await shipgate.promotion(message);
    expect(call.body).toEqual({
      promotion_id: record.id,
      kind: 'promote',
      app: 'web',
      version: '1.4.2',
      environment: 'production',
      from_environment: 'staging',
      previous_version: '1.4.1',
      requested_by: alice,
      approved_by: [rita, raj],
      reason: 'checkout fix for <!channel>',
    });
    expect(call.headers['idempotency-key']).toBe(record.id);
    expect(call.headers['x-shipgate-signature']).toBe(`sha256=${createHmac('sha256', DEPLOY_SECRET).update(`${String(call.headers['x-shipgate-timestamp'])}.${call.raw}`).digest('hex')}`);
    expect(record.state).toBe('deployed');

    // The thread narrates, and ends with the rollback button.
    const thread = await eventually(() => {
      const notes = fake.thread(message);
      expect(notes.map(textOf).join('\n')).toMatch(/Deployed web to 1\.4\.2 in production/);
      return notes;
    });
    expect(thread.map(textOf).join('\n')).toContain(`<@${rita}> approved (1/2)`);
    const rollbackNote = thread.find((n) => textOf(n).includes('Roll back to 1.4.1'))!;
    expect(rollbackNote).toBeDefined();

    // Only the on-call people may start a rollback; one clicks, and the rollback waits for another of them.
    const before = await shipgate.promotionCount();
    await slack.click(alice, rollbackNote, 'Roll back to 1.4.1');
    await eventually(() => expect(fake.lastEphemeralTo(alice)).toMatch(/Only <!subteam\^S0ONCALL> can roll back production/));
    expect(await shipgate.promotionCount()).toBe(before);
    await slack.click(omar, rollbackNote, 'Roll back to 1.4.1');
    await eventually(() => expect(fake.topLevelIn('C0PROD')).toHaveLength(3));
    const rollbackMessage = fake.lastMessageIn('C0PROD');
    expect(textOf(rollbackMessage)).toContain('Rollback of web 1.4.1 to production');
    await slack.click(rita, rollbackMessage, 'Approve');
    await eventually(() => expect(fake.lastEphemeralTo(rita)).toMatch(/not an approver for production/));
    await slack.click(omar, rollbackMessage, 'Approve');
    await eventually(() => expect(fake.lastEphemeralTo(omar)).toMatch(/someone else must approve/));
    await slack.click(olga, rollbackMessage, 'Approve');
    await eventually(async () => expect(await shipgate.live('web', 'production')).toBe('1.4.1'));

    const rollbackCall = deployTarget.calls.at(-1)!;
    expect(rollbackCall.body).toMatchObject({ kind: 'rollback', version: '1.4.1', previous_version: '1.4.2', environment: 'production', approved_by: [olga] });
    await eventually(async () => expect((await shipgate.promotion(record.id)).state).toBe('rolled_back'));
    await eventually(() => expect(textOf(fake.refreshed(message))).toContain('Rolled back'));

    // Every step is in the audit log, and the chain holds.
    const types = (await shipgate.auditEntries()).filter((e) => e.environment === 'production').map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['requested', 'approved', 'deploy_started', 'deployed', 'rollback_requested', 'approval_refused', 'rolled_back']));
    expect(await shipgate.audit.verify()).toEqual({ ok: true, entries: (await shipgate.auditEntries()).length });
    const everything = (await shipgate.auditEntries()).map((e) => JSON.stringify(e)).join('\n');
    expect(everything).not.toContain(DEPLOY_SECRET);
  });
});

describe('/promote rollback', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startShipgate();
  });
  afterEach(async () => h.close());

  it('rolls staging back at the click of one of its approvers, refuses anyone else, and honours an explicit version', async () => {
    const { slack, fake, deployTarget, shipgate } = h;
    for (const version of ['1.0.0', '1.1.0', '1.2.0']) await h.bring(version, 'staging');

    // Staging has no rollback section: its approvers may roll back without a second person.
    const count = await shipgate.promotionCount();
    await slack.command(PEOPLE.mallory, '/promote rollback web staging');
    await eventually(() => expect(fake.lastEphemeralTo(PEOPLE.mallory)).toMatch(/Only <!subteam\^S0QA>, <@U0LEAD> can roll back staging/));
    expect(await shipgate.promotionCount()).toBe(count);

    await slack.command(quinn, '/promote rollback web staging bad build');
    await eventually(async () => expect(await shipgate.live('web', 'staging')).toBe('1.1.0'));
    expect(deployTarget.calls.at(-1)!.body).toMatchObject({ kind: 'rollback', version: '1.1.0', previous_version: '1.2.0', requested_by: quinn, approved_by: [], reason: 'bad build' });

    await slack.command(quinn, '/promote rollback web staging to 1.0.0');
    await eventually(async () => expect(await shipgate.live('web', 'staging')).toBe('1.0.0'));
    expect((await shipgate.history('web', 'staging')).map((d) => d.version)).toEqual(['1.0.0', '1.1.0', '1.2.0', '1.1.0', '1.0.0']);
    expect((await shipgate.auditEntries()).filter((e) => e.type === 'rollback_requested')).toHaveLength(2);
  });
});
