import { afterEach, describe, expect, it } from 'vitest';
import type { AdHocFreeze } from '../../src/domain/ad-hoc-freeze.js';
import { textOf } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { replyTo } from '../support/reply-to.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, rita, raj, omar, olga, mallory } = PEOPLE;
const HOUR = 3_600_000;

const productionCalls = (h: Harness) => h.deployTarget.calls.filter((c) => c.body.environment === 'production');
const storedFreezes = async (h: Harness, env: string): Promise<AdHocFreeze[] | null> => {
  const json = await h.shipgate.redis.hget(h.shipgate.keys.locks(env), 'freezes');
  return json === null ? null : (JSON.parse(json) as AdHocFreeze[]);
};

describe('ad-hoc freezes', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('lets approvers freeze and unfreeze, refuses bad input and other people, and shows the freeze in the calendar', async () => {
    h = await startShipgate();

    expect(await replyTo(h, rita, '/promote freeze production')).toMatch(/Say how long production stays frozen/);
    expect(await replyTo(h, rita, '/promote freeze production for a while')).toMatch(/`a` is not a duration/);
    expect(await replyTo(h, rita, '/promote freeze production for 0h nothing')).toMatch(/A freeze needs a length/);
    expect(await replyTo(h, rita, '/promote freeze production for -2h nothing')).toMatch(/`-2h` is not a duration/);
    expect(await replyTo(h, rita, '/promote freeze production for 30d quarter end')).toMatch(/at most 14d; put a longer one in the calendar file/);
    expect(await replyTo(h, rita, '/promote freeze production for 2h --allow nobody oops')).toMatch(/`--allow` takes Slack user ids/);
    expect(await replyTo(h, rita, '/promote freeze nowhere for 2h incident')).toMatch(/There is no environment called `nowhere`/);
    expect(await replyTo(h, rita, '/promote freeze production for 2h')).toMatch(/Say why production is frozen/);
    expect(await replyTo(h, mallory, '/promote freeze production for 2h because I can')).toMatch(/Only an approver of production can freeze it/);
    expect(await storedFreezes(h, 'production')).toBeNull();

    const froze = await replyTo(h, rita, '/promote freeze production for 2h payment provider migration');
    expect(froze).toMatch(/Froze production for 2h: approved promotions wait .*rollbacks still run/);
    const [freeze] = (await storedFreezes(h, 'production'))!;
    expect(freeze).toMatchObject({ environment: 'production', owner: rita, reason: 'payment provider migration', allow: [] });
    expect(freeze!.until - freeze!.from).toBe(2 * HOUR);

    const calendar = await replyTo(h, alice, '/promote calendar production');
    expect(calendar).toMatch(/:red_circle: \*production\* is closed: freeze: ad-hoc freeze by URITA: payment provider migration\./);
    expect(calendar).toContain(`:ice_cube: frozen by <@URITA> until <!date^${Math.floor(freeze!.until / 1000)}^`);
    expect(calendar).toMatch(/: payment provider migration\. Lift it with `\/promote unfreeze production`/);
    expect(await replyTo(h, raj, '/promote freeze production for 1h again')).toMatch(/production is already frozen by <@URITA>/);

    expect(await replyTo(h, mallory, '/promote unfreeze production')).toMatch(/Only an approver of production can unfreeze it/);
    expect(await replyTo(h, raj, '/promote unfreeze production')).toMatch(/Unfroze production/);
    expect(await storedFreezes(h, 'production')).toEqual([]);
    expect(await replyTo(h, raj, '/promote unfreeze production')).toMatch(/production has no ad-hoc freeze to lift/);
    expect(await replyTo(h, alice, '/promote calendar production')).toBe('*production* has no release calendar: it is always open.');

    const facts = (await h.shipgate.auditEntriesOf(null, null)).map((e) => [e.type, e.actor, e.detail.reason ?? null]);
    expect(facts).toEqual([
      ['freeze_refused', mallory, expect.stringMatching(/Only an approver/)],
      ['frozen', rita, 'payment provider migration'],
      ['unfreeze_refused', mallory, expect.stringMatching(/Only an approver/)],
      ['unfrozen', raj, 'payment provider migration'],
    ]);
    expect(await h.shipgate.audit.verify()).toMatchObject({ ok: true });
  });

  it('schedules a promotion approved during the freeze, and deploys it as soon as the freeze is lifted early', async () => {
    h = await startShipgate();
    await h.bring('1.0.0', 'production');
    await h.bring('1.1.0', 'staging');
    await replyTo(h, rita, '/promote freeze production for 2h checkout incident');

    const { message } = await h.ask(alice, '/promote web 1.1.0 to production', 'C0PROD');
    expect(textOf(message)).toMatch(/\*Calendar\*\n:red_circle: closed \(freeze: ad-hoc freeze by URITA: checkout incident\)/);
    await h.slack.click(rita, message, 'Approve');
    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('scheduled'));
    const [freeze] = (await storedFreezes(h, 'production'))!;
    expect((await h.shipgate.promotion(message)).scheduledFor).toBe(freeze!.until);
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/Approved, but production is closed \(freeze: ad-hoc freeze by URITA: checkout incident\)/));
    expect(productionCalls(h).map((c) => c.body.version)).toEqual(['1.0.0']);

    expect(await replyTo(h, raj, '/promote unfreeze production')).toMatch(/Unfroze production/);
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.1.0'));
    expect(productionCalls(h).map((c) => c.body.version)).toEqual(['1.0.0', '1.1.0']);
    const facts = (await h.shipgate.auditEntriesOf('web', 'production')).map((e) => e.type);
    expect(facts.slice(facts.lastIndexOf('requested'))).toEqual(['requested', 'approved', 'approved', 'scheduled', 'deploy_started', 'deploy_called', 'deployed']);
  });

  it('lets the promotion go when the freeze runs out on its own', async () => {
    h = await startShipgate();
    await h.bring('1.0.0', 'production');
    await h.bring('1.1.0', 'staging');
    const frozenAt = Date.parse('2026-12-01T09:00:00Z');
    h.shipgate.clock.set(frozenAt);
    await replyTo(h, rita, '/promote freeze production for 1m cache warm-up');
    // The freeze has a few seconds left when the promotion is approved.
    h.shipgate.clock.set(frozenAt + 45_000);
    const { message } = await h.ask(alice, '/promote web 1.1.0 to production', 'C0PROD');
    await h.slack.click(rita, message, 'Approve');
    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.1.0'), { timeoutMs: 25_000 });
    const held = (await h.shipgate.auditEntriesOf('web', 'production')).filter((e) => e.type === 'scheduled').at(-1);
    const [freeze] = (await storedFreezes(h, 'production'))!;
    expect(held?.detail).toMatchObject({ rule: `ad-hoc:${rita}:${freeze!.from}`, next_open: new Date(freeze!.until).toISOString() });
    expect((await h.shipgate.promotion(message)).deployment!.startedAt).toBeGreaterThanOrEqual(freeze!.until);
  });

  it('never holds a rollback', async () => {
    h = await startShipgate();
    await h.bring('1.0.0', 'production');
    await h.bring('1.1.0', 'production');
    await replyTo(h, rita, '/promote freeze production for 2h checkout incident');

    const { message } = await h.ask(omar, '/promote rollback web production', 'C0PROD');
    await h.slack.click(olga, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.0.0'));
    expect(productionCalls(h).at(-1)?.body).toMatchObject({ kind: 'rollback', version: '1.0.0' });
  });
});

/** Production frozen all December by its calendar file; on-call may still deploy through it. */
const DECEMBER_FREEZE = 'timezone: UTC\nfreezes:\n  - name: December freeze\n    start: 2026-12-01T00:00\n    end: 2027-01-01T00:00\n    allow: [S0ONCALL]\n';

describe('break-glass', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('lets a member of an ad-hoc freeze\'s allow list deploy through it, under the normal approvals, and says so', async () => {
    h = await startShipgate();
    await h.bring('1.0.0', 'production');
    await h.bring('1.1.0', 'staging');
    expect(await replyTo(h, rita, '/promote freeze production for 2h --allow S0ONCALL launch day')).toMatch(/Froze production for 2h.*<!subteam\^S0ONCALL> may still deploy \(break-glass\)/);
    expect((await storedFreezes(h, 'production'))![0]!.allow).toEqual(['S0ONCALL']);
    expect(await replyTo(h, alice, '/promote calendar production')).toMatch(/launch day \(break-glass: <!subteam\^S0ONCALL>\)/);

    const { message } = await h.ask(omar, '/promote web 1.1.0 to production hotfix for launch', 'C0PROD');
    await h.slack.click(rita, message, 'Approve');
    expect((await h.shipgate.promotion(message)).state).toBe('awaiting_approval');
    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.1.0'));

    const p = await h.shipgate.promotion(message);
    expect(p).toMatchObject({ emergency: false, breakGlass: 'ad-hoc freeze by URITA: launch day' });
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Break-glass\*: deployed during the freeze "ad-hoc freeze by URITA: launch day", whose allow list names <@UOMAR>/));
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/Deploying web 1\.1\.0 to production during the freeze "ad-hoc freeze by URITA: launch day" \(break-glass: <@UOMAR> is on its allow list\)/));
    const started = (await h.shipgate.auditEntriesOf('web', 'production')).filter((e) => e.type === 'deploy_started').at(-1);
    expect(started?.detail).toMatchObject({ break_glass: 'ad-hoc freeze by URITA: launch day', emergency: false });
  });

  it('holds everyone else during a calendar freeze with an allow list, and lets its members through', async () => {
    h = await startShipgate({ calendars: { 'production.yml': DECEMBER_FREEZE } });
    await h.bring('1.0.0', 'production');
    await h.bring('1.1.0', 'staging');
    h.shipgate.clock.set(Date.parse('2026-12-10T12:00:00Z'));

    const held = await h.ask(alice, '/promote web 1.1.0 to production', 'C0PROD');
    await h.slack.click(rita, held.message, 'Approve');
    await h.slack.click(raj, held.message, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(held.message)).state).toBe('scheduled'));
    expect(productionCalls(h).map((c) => c.body.version)).toEqual(['1.0.0']);
    const id = (await h.shipgate.promotion(held.message)).id;
    expect(await replyTo(h, alice, `/promote cancel ${id}`)).toMatch(/ancel/);

    const { message } = await h.ask(olga, '/promote web 1.1.0 to production payments fix', 'C0PROD');
    await h.slack.click(rita, message, 'Approve');
    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.1.0'));
    expect(await h.shipgate.promotion(message)).toMatchObject({ breakGlass: 'December freeze', emergency: false });
    const audit = (await h.shipgate.auditEntriesOf('web', 'production')).filter((e) => e.type === 'scheduled' || e.type === 'deploy_started').map((e) => [e.type, e.detail.rule ?? e.detail.break_glass]);
    expect(audit.slice(-2)).toEqual([
      ['scheduled', 'freeze:December freeze'],
      ['deploy_started', 'December freeze'],
    ]);
  });
});

/** Production's year-end freeze, announced a day ahead. */
const YEAR_END = 'timezone: UTC\nfreeze_notice: 24h\nfreezes:\n  - name: Year-end freeze\n    start: 2026-12-18T00:00\n    end: 2027-01-04T00:00\n    allow: [S0ONCALL]\n';

describe('freeze notices', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('tells the environment\'s channel once, a day ahead, which promotions the freeze will hold, however many workers tick', async () => {
    h = await startShipgate({ calendars: { 'production.yml': YEAR_END } });
    h.shipgate.clock.set(Date.parse('2026-12-10T09:00:00Z'));
    await h.bring('1.0.0', 'production');
    await h.bring('1.1.0', 'staging');
    const { message } = await h.ask(alice, '/promote web 1.1.0 to production', 'C0PROD');
    const waitingId = (await h.shipgate.promotion(message)).id;
    const notices = () => h.fake.topLevelIn('C0PROD').map(textOf).filter((t) => /freezes/.test(t));
    expect(notices()).toEqual([]);

    h.shipgate.clock.set(Date.parse('2026-12-17T06:00:00Z'));
    await Promise.all([h.shipgate.startWorker(), h.shipgate.startWorker()]);
    await eventually(() => expect(notices()).toHaveLength(1));
    const [notice] = notices();
    expect(notice).toMatch(/^:ice_cube: \*production\* freezes <!date\^1797552000\^.*until <!date\^1799020800\^.*: Year-end freeze\./);
    expect(notice).toMatch(/Break-glass: <!subteam\^S0ONCALL> may still deploy during it\./);
    expect(notice).toContain(`• ${waitingId}: web 1.1.0 (awaiting approval, asked by <@UALICE>)`);

    // A third worker, later, still sends nothing more.
    await h.shipgate.startWorker();
    expect(notices()).toHaveLength(1);
    const key = h.shipgate.keys.freezeNotice('production', Date.parse('2026-12-18T00:00:00Z'), 'freeze:Year-end freeze');
    expect(await h.shipgate.redis.hget(key, 'posted')).toBeTruthy();
    const facts = (await h.shipgate.auditEntriesOf(null, null)).filter((e) => e.type === 'freeze_notice');
    expect(facts.map((e) => [e.actor, e.environment, e.detail.freeze, e.detail.held])).toEqual([['shipgate', 'production', 'Year-end freeze', waitingId]]);
    expect(await h.shipgate.audit.verify()).toMatchObject({ ok: true });
  });

  it('sends nothing where the calendar asks for no notices', async () => {
    h = await startShipgate({ calendars: { 'production.yml': YEAR_END.replace('freeze_notice: 24h\n', '') } });
    h.shipgate.clock.set(Date.parse('2026-12-17T06:00:00Z'));
    await h.shipgate.startWorker();
    expect(h.fake.topLevelIn('C0PROD').map(textOf).filter((t) => /freezes/.test(t))).toEqual([]);
    expect((await h.shipgate.auditEntriesOf(null, null)).filter((e) => e.type === 'freeze_notice')).toEqual([]);
  });
});
