import { afterEach, describe, expect, it } from 'vitest';
import { textOf } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { spawnShipgate } from '../support/child-shipgate.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, rita, raj, omar } = PEOPLE;

/** Production opens one hour a day, 10:00–11:00 UTC; on-call may bypass it in an emergency. */
const HOURLY_WINDOW = 'timezone: UTC\nwindows:\n  - days: [mon, tue, wed, thu, fri, sat, sun]\n    start: "10:00"\n    end: "11:00"\n';
const withEmergency = (url: string, prefix: string) =>
  standardConfig(url, prefix).replace(
    '    rollback: { approvals: { required: 1, approvers: [S0ONCALL] } }',
    '    rollback: { approvals: { required: 1, approvers: [S0ONCALL] } }\n    emergency: { approvals: { required: 1, approvers: [S0ONCALL] } }',
  );

const productionCalls = (h: Harness) => h.deployTarget.calls.filter((c) => c.body.environment === 'production');

describe('release calendar, end to end', () => {
  let h: Harness;
  afterEach(async () => h.close());

  async function approvedWhileClosed(at: string) {
    await h.bring('1.0.0', 'staging');
    h.shipgate.clock.set(Date.parse(at));
    const { message } = await h.ask(alice, '/promote web 1.0.0 to production', 'C0PROD');
    expect(textOf(message)).toMatch(/\*Calendar\*\n:red_circle: closed \(outside the release windows/);
    await h.slack.click(rita, message, 'Approve');
    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('scheduled'));
    return message;
  }

  it('schedules a promotion approved outside its window, and deploys it when the window opens', async () => {
    h = await startShipgate({ calendars: { 'production.yml': HOURLY_WINDOW } });
    const message = await approvedWhileClosed('2026-12-01T09:59:52Z');
    const p = await h.shipgate.promotion(message);
    expect(p.scheduledFor).toBe(Date.parse('2026-12-01T10:00:00Z'));
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Scheduled[\s\S]*deploys when the window opens <!date\^1796119200\^/));
    expect(productionCalls(h)).toHaveLength(0);

    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.0.0'), { timeoutMs: 25_000 });
    const deployedAt = (await h.shipgate.promotion(message)).deployment!.startedAt;
    expect(deployedAt).toBeGreaterThanOrEqual(Date.parse('2026-12-01T10:00:00Z'));
    const audit = (await h.shipgate.auditEntries()).filter((e) => e.environment === 'production').map((e) => [e.type, e.detail.rule ?? e.detail.calendar ?? null]);
    expect(audit).toEqual([['requested', null], ['approved', null], ['approved', null], ['scheduled', null], ['deploy_started', 'window:0'], ['deploy_called', null], ['deployed', null]]);
  });

  it('keeps a scheduled promotion waiting when a freeze is added before its window opens', async () => {
    h = await startShipgate({ calendars: { 'production.yml': HOURLY_WINDOW } });
    const message = await approvedWhileClosed('2026-12-01T09:59:52Z');
    h.shipgate.writeCalendar('production.yml', `${HOURLY_WINDOW}freezes:\n  - name: Payments incident\n    start: 2026-12-01T09:00\n    end: 2026-12-01T10:00:06\n`);

    await eventually(async () => expect((await h.shipgate.promotion(message)).scheduledFor).toBe(Date.parse('2026-12-01T10:00:06Z')), { timeoutMs: 25_000 });
    expect(productionCalls(h)).toHaveLength(0);
    const held = (await h.shipgate.auditEntries()).filter((e) => e.type === 'scheduled').at(-1)!;
    expect(held.detail).toMatchObject({ rule: 'freeze:Payments incident', next_open: '2026-12-01T10:00:06.000Z' });
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/closed \(freeze: Payments incident\)/));

    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.0.0'), { timeoutMs: 25_000 });
    expect(productionCalls(h)).toHaveLength(1);
  });

  it('lets an emergency bypass the calendar, under its own approvers, and marks it', async () => {
    h = await startShipgate({ config: withEmergency, calendars: { 'production.yml': HOURLY_WINDOW } });
    await h.bring('1.0.0', 'staging');
    h.shipgate.clock.set(Date.parse('2026-12-01T15:00:00Z'));

    await h.slack.command(alice, '/promote web 1.0.0 to staging --emergency');
    await eventually(() => expect(h.fake.lastEphemeralTo(alice)).toMatch(/already live in staging/));
    await h.bring('1.1.0', 'development');
    await h.slack.command(alice, '/promote web 1.1.0 to staging --emergency hotfix');
    await eventually(() => expect(h.fake.lastEphemeralTo(alice)).toMatch(/staging has no emergency policy/));
    await h.slack.command(alice, '/promote web 1.0.0 to production --emergency');
    await eventually(() => expect(h.fake.lastEphemeralTo(alice)).toMatch(/Say why this is an emergency/));

    const { message } = await h.ask(alice, '/promote web 1.0.0 to production --emergency payments are down', 'C0PROD');
    expect(textOf(message)).toMatch(/Emergency\*: this promotion bypasses the release calendar/);
    expect(textOf(message)).toMatch(/bypassed \(emergency\)/);
    expect(textOf(message)).toMatch(/0\/1/);
    await h.slack.click(rita, message, 'Approve');
    await eventually(() => expect(h.fake.lastEphemeralTo(rita)).toMatch(/not an approver for production/));
    await h.slack.click(omar, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.0.0'));
    const entries = (await h.shipgate.auditEntries()).filter((e) => e.environment === 'production');
    expect(entries.find((e) => e.type === 'requested')?.detail).toMatchObject({ emergency: true, reason: 'payments are down' });
    expect(entries.find((e) => e.type === 'deploy_started')?.detail).toMatchObject({ emergency: true, calendar: null });
  });

  it.each([
    [false, 'deployed', 'ignored for rollbacks'],
    [true, 'scheduled', 'closed; deploys when the window opens'],
  ])('rolls back outside the window when respect_calendar is %s: %s', async (respect, state, shown) => {
    const oneClickRollback = (url: string, prefix: string) =>
      standardConfig(url, prefix).replace(
        '    rollback: { approvals: { required: 1, approvers: [S0ONCALL] } }',
        `    rollback: { approvals: { required: 0, approvers: [S0ONCALL] }, respect_calendar: ${respect} }`,
      );
    h = await startShipgate({ config: oneClickRollback, calendars: { 'production.yml': HOURLY_WINDOW } });
    h.shipgate.clock.set(Date.parse('2026-12-01T10:10:00Z'));
    await h.bring('1.0.0', 'production');
    await h.bring('1.1.0', 'production');
    h.shipgate.clock.set(Date.parse('2026-12-01T15:00:00Z'));
    const before = productionCalls(h).length;

    const { message } = await h.ask(omar, '/promote rollback web production', 'C0PROD');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe(state));
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toContain(shown));
    expect(await h.shipgate.live('web', 'production')).toBe(respect ? '1.1.0' : '1.0.0');
    expect(productionCalls(h).length).toBe(respect ? before : before + 1);
  });

  it('answers /promote calendar with the decision, the next change and the coming freezes', async () => {
    h = await startShipgate({ calendars: { 'production.yml': `${HOURLY_WINDOW}freezes:\n  - name: Year-end freeze\n    start: 2026-12-18T00:00\n    end: 2027-01-04T09:00\n` } });
    h.shipgate.clock.set(Date.parse('2026-12-01T12:00:00Z'));
    await h.slack.command(alice, '/promote calendar production');
    const reply = await eventually(() => h.fake.lastEphemeralTo(alice));
    expect(reply).toMatch(/:red_circle: \*production\* is closed: outside the release windows/);
    expect(reply).toMatch(/Opens <!date\^1796205600\^/); // 2026-12-02T10:00Z
    expect(reply).toMatch(/Freezes in the next 4 weeks\* \(UTC\):\n• Year-end freeze: <!date\^1797552000\^/);
    await h.slack.command(alice, '/promote calendar staging');
    await eventually(() => expect(h.fake.lastEphemeralTo(alice)).toBe('*staging* has no release calendar: it is always open.'));
  });

  it('prints the decision as one JSON object from the command line', async () => {
    h = await startShipgate({ calendars: { 'production.yml': 'timezone: Europe/Berlin\nwindows:\n  - days: [mon, tue, wed, thu]\n    start: "09:00"\n    end: "17:00"\nfreezes:\n  - name: Year-end freeze\n    start: 2026-12-18T00:00\n    end: 2027-01-04T09:00\n' } });
    const env = h.shipgate.cliEnv();
    const run = async (args: string[]) => {
      const child = spawnShipgate(args, env);
      return { code: await child.exited, output: child.output() };
    };
    const frozen = await run(['calendar', 'production', '--at', '2026-12-21T10:00:00Z', '--json']);
    expect(frozen.code).toBe(0);
    expect(JSON.parse(frozen.output)).toEqual({
      environment: 'production',
      at: '2026-12-21T11:00:00+01:00',
      open: false,
      reason: 'freeze: Year-end freeze',
      rule: 'freeze:Year-end freeze',
      next_open: '2027-01-04T09:00:00+01:00',
      next_close: null,
    });
    const open = await run(['calendar', 'production', '--at', '2026-12-01T09:00:00+01:00', '--json']);
    expect(JSON.parse(open.output)).toMatchObject({ open: true, rule: 'window:0', next_open: null, next_close: '2026-12-01T17:00:00+01:00' });
    const none = await run(['calendar', 'staging', '--at', '2026-12-01T09:00:00Z', '--json']);
    expect(JSON.parse(none.output)).toMatchObject({ open: true, reason: 'no calendar: always open', rule: null });
    const bad = await run(['calendar', 'production', '--at', 'tomorrow']);
    expect(bad.code).toBe(2);
    expect(bad.output).toMatch(/--at takes an ISO 8601 instant with an offset/);
  });
});
