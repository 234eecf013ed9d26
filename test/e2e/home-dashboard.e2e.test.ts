import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, rita, raj, omar, olga } = PEOPLE;
const HOUR = 3_600_000;
/** A date as App Home writes it (`<!date^…|… UTC>`). */
const DATE = '<!date\\^\\d+\\^\\{date_short_pretty\\} \\{time\\}\\|[^>]+ UTC>';

describe('App Home, the environment dashboard', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startShipgate();
  });
  afterAll(async () => h.close());

  async function openHome(): Promise<string[]> {
    const before = h.fake.callsTo('views.publish').length;
    expect((await h.slack.event({ type: 'app_home_opened', user: alice, channel: 'D0HOME', tab: 'home' })).status).toBe(200);
    const call = await eventually(() => {
      const published = h.fake.callsTo('views.publish')[before];
      if (!published) throw new Error('no views.publish yet');
      return published;
    });
    expect(call.args.user_id).toBe(alice);
    return (call.args.view as { blocks: { text?: { text: string } }[] }).blocks.map((b) => b.text?.text ?? '');
  }

  /** The blocks of one environment: its summary, then its apps. */
  const environment = (texts: string[], env: string) => ({ summary: texts[texts.indexOf(env) + 1]!, apps: texts[texts.indexOf(env) + 2]! });

  async function toProduction(version: string, waitHours: number) {
    await h.bring(version, 'staging');
    const { message } = await h.ask(alice, `/promote web ${version} to production`, 'C0PROD');
    h.shipgate.clock.advance(waitHours * HOUR);
    await h.slack.click(rita, message, 'Approve');
    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe(version));
  }

  it('shows per environment what runs, what waits on whom, the last rollback and the numbers of the last 30 days', { timeout: 120_000 }, async () => {
    // Production's approvers take one hour, then three: lead times of 1 h and 3 h, a median of 2 h.
    await toProduction('1.0.0', 1);
    await toProduction('1.1.0', 3);
    // On-call rolls 1.1.0 back, approved an hour later: one change of two failed, restored in 1 h.
    const { message: rollback } = await h.ask(omar, '/promote rollback web production', 'C0PROD');
    h.shipgate.clock.advance(HOUR);
    await h.slack.click(olga, rollback, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.0.0'));
    // 1.2.0 waits for production's second approver.
    await h.bring('1.2.0', 'staging');
    const { message: waiting } = await h.ask(alice, '/promote web 1.2.0 to production', 'C0PROD');
    await h.slack.click(rita, waiting, 'Approve');
    const waitingId = await eventually(async () => {
      const p = await h.shipgate.promotion(waiting);
      expect(p.approvals).toHaveLength(1);
      return p.id;
    });
    const rollbackId = (await h.shipgate.promotion(rollback)).id;

    const texts = await openHome();
    expect(texts.filter((t) => ['development', 'staging', 'production'].includes(t))).toEqual(['development', 'staging', 'production']);

    const production = environment(texts, 'production');
    expect(production.summary).toMatch(new RegExp(`^\\*Window:\\* no calendar, always open\\n\\*Last rollback:\\* web back to 1\\.0\\.0 ${DATE} \\(${rollbackId}\\)\\n`));
    // 1.0.0, 1.1.0 and the rollback; the lead times and the restore are the hours the approvers took, give or take the minutes the test runs.
    expect(production.summary).toMatch(/\*Last 30 days:\* 3 deployments · lead time p50 2 h [0-4] min · change failure rate 50% · time to restore p50 1 h [0-4] min$/);
    expect(production.apps).toMatch(
      new RegExp(`^• \\*web\\*: 1\\.0\\.0 since ${DATE}\\n    ◦ ${waitingId}: 1\\.2\\.0 awaiting approval, 1/2 approvals, waits on <!subteam\\^S0REL> \\(asked by <@UALICE>\\)$`),
    );

    const staging = environment(texts, 'staging');
    expect(staging.summary).toMatch(/\*Last rollback:\* none in the last 30 days\n\*Last 30 days:\* 3 deployments · lead time p50 \d+ min · change failure rate 0% · time to restore p50 n\/a$/);
    expect(staging.apps).toMatch(new RegExp(`^• \\*web\\*: 1\\.2\\.0 since ${DATE}$`));

    // `/promote status` reads the same ledgers.
    const before = h.fake.responses.filter((r) => r.user === alice).length;
    const ack = await h.slack.command(alice, '/promote status web');
    const status = ack.text || (await eventually(() => {
      const replies = h.fake.responses.filter((r) => r.user === alice);
      expect(replies.length).toBeGreaterThan(before);
      return replies.at(-1)!.body.text ?? '';
    }));
    expect(status).toMatch(new RegExp(`• production: 1\\.0\\.0 \\(since ${DATE}\\)\\n    ◦ ${waitingId}: 1\\.2\\.0 awaiting approval`));
  });
});

describe('App Home shows what stops the line', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startShipgate();
  });
  afterAll(async () => h.close());

  it('lists the locks and ad-hoc freezes in force per environment, and drops them once lifted', async () => {
    const openHome = async (): Promise<string[]> => {
      const before = h.fake.callsTo('views.publish').length;
      expect((await h.slack.event({ type: 'app_home_opened', user: alice, channel: 'D0HOME', tab: 'home' })).status).toBe(200);
      const call = await eventually(() => h.fake.callsTo('views.publish')[before] ?? Promise.reject(new Error('no views.publish yet')));
      return (call.args.view as { blocks: { text?: { text: string } }[] }).blocks.map((b) => b.text?.text ?? '');
    };
    const summaryOf = (texts: string[], env: string) => texts[texts.indexOf(env) + 1]!;
    await h.slack.command(PEOPLE.lead, '/promote lock staging web database migration');
    await h.slack.command(rita, '/promote freeze production for 2h --allow S0ONCALL launch <day>');
    await eventually(async () => expect(await h.shipgate.redis.hget(h.shipgate.keys.locks('production'), 'freezes')).toMatch(/launch/));
    await eventually(async () => expect(await h.shipgate.redis.hget(h.shipgate.keys.locks('staging'), 'json')).toMatch(/database migration/));

    const texts = await openHome();
    const production = summaryOf(texts, 'production');
    expect(production).toMatch(/^\*Window:\* :red_circle: closed \(freeze: ad-hoc freeze by URITA: launch &lt;day&gt;\), next window /);
    expect(production).toMatch(new RegExp(`\\n\\*Ad-hoc freeze:\\* :ice_cube: by <@URITA> until ${DATE}: launch &lt;day&gt; \\(break-glass: <!subteam\\^S0ONCALL>\\)\\n`));
    expect(production).not.toMatch(/\*Lock:\*/);
    const staging = summaryOf(texts, 'staging');
    expect(staging).toMatch(new RegExp(`\\n\\*Lock:\\* :lock: web in staging locked by <@U0LEAD> since ${DATE}: database migration\\n`));
    expect(staging).not.toMatch(/Ad-hoc freeze/);

    await h.slack.command(raj, '/promote unfreeze production');
    await h.slack.command(PEOPLE.lead, '/promote unlock staging web');
    await eventually(async () => expect(await h.shipgate.redis.hget(h.shipgate.keys.locks('production'), 'freezes')).toBe('[]'));
    await eventually(async () => expect(await h.shipgate.redis.hget(h.shipgate.keys.locks('staging'), 'json')).toBe('[]'));
    const after = await openHome();
    expect(summaryOf(after, 'production')).toMatch(/^\*Window:\* no calendar, always open\n\*Last rollback:/);
    expect(summaryOf(after, 'staging')).not.toMatch(/\*Lock:\*/);
  });
});
