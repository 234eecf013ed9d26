import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUE } from '../../src/queue/queues.js';
import { buttonsOf, textOf } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { replyTo } from '../support/reply-to.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, lead, quinn, rita, omar, mallory } = PEOPLE;

/** The standard configuration, its webhook polled quickly; production allows drills. */
const drillsEverywhere = (deployUrl: string, prefix: string, extra = '') =>
  standardConfig(deployUrl, prefix, extra)
    .replace('backoff: 50ms }', 'backoff: 50ms, poll_every: 100ms, deploy_timeout: 30m }')
    .replace('    rollback: { approvals: { required: 1, approvers: [S0ONCALL] } }', '    rollback: { approvals: { required: 1, approvers: [S0ONCALL] } }\n    rehearsal: { allow: true }');

const callsTo = (h: Harness, env: string) => h.deployTarget.calls.filter((c) => c.body.environment === env);
const drillFacts = async (h: Harness, env: string) => (await h.shipgate.auditEntriesOf('web', env)).map((e) => e.type).filter((t) => t.startsWith('drill') || t.startsWith('deploy') || t.startsWith('rollback'));

/** Staging has run 1.0.0 then 1.1.0, so 1.0.0 is its version known good. */
async function twoVersionsIn(h: Harness, env: 'staging' | 'production'): Promise<void> {
  await h.bring('1.0.0', env);
  await h.bring('1.1.0', env);
}

describe('rollback drills', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('goes back to the version known good and forward again, one timed call per leg, and remembers the drill', async () => {
    h = await startShipgate({ config: drillsEverywhere });
    await twoVersionsIn(h, 'staging');
    const original = (await h.shipgate.store.current('web', 'staging'))!.promotionId;
    const before = callsTo(h, 'staging').length;

    const { ack, message } = await h.ask(lead, '/promote rehearse rollback web staging', 'C0DEPLOYS');
    expect(ack.status).toBe(200);
    const drill = await h.shipgate.promotion(message);
    expect(drill).toMatchObject({ kind: 'drill', version: '1.1.0', requester: lead });
    expect(h.fake.responses.filter((r) => r.user === lead).at(-1)?.body.text).toMatch(new RegExp(`Rehearsing the rollback of web in staging \\(${drill.id}\\): 1\\.1\\.0 → 1\\.0\\.0 → 1\\.1\\.0`));

    await eventually(async () => expect((await h.shipgate.store.get(drill.id))?.promotion.state).toBe('deployed'));
    const legs = callsTo(h, 'staging').slice(before);
    expect(legs.map((c) => [c.body.promotion_id, c.headers['idempotency-key'], c.body.kind, c.body.version, c.body.previous_version, c.body.drill?.leg])).toEqual([
      [`${drill.id}-back`, `${drill.id}-back`, 'rollback', '1.0.0', '1.1.0', 'back'],
      [`${drill.id}-forward`, `${drill.id}-forward`, 'rollback', '1.1.0', '1.0.0', 'forward'],
    ]);

    // What runs is what the store says, named after the promotion that deployed it, so its Roll back button still works.
    expect(await h.shipgate.store.current('web', 'staging')).toMatchObject({ version: '1.1.0', promotionId: original });
    expect((await h.shipgate.store.bad('web', 'staging')).size).toBe(0);
    const [record] = await h.shipgate.store.drills('web', 'staging');
    expect(record).toMatchObject({ id: drill.id, requester: lead, current: '1.1.0', target: '1.0.0', outcome: 'succeeded', liveAfter: '1.1.0', error: null });
    expect(record!.backMs).toEqual(expect.any(Number));
    expect(record!.forwardMs).toEqual(expect.any(Number));

    await eventually(() => {
      const thread = h.fake.thread(message).map(textOf).join('\n');
      expect(thread).toMatch(/Rehearsing the rollback of web in staging: 1\.1\.0 → 1\.0\.0 → 1\.1\.0/);
      expect(thread).toMatch(/Rolled back to 1\.0\.0 in \d+\.\d s\. Rolling forward to 1\.1\.0…/);
      expect(thread).toMatch(/Drill passed: back to 1\.0\.0 in \d+\.\d s, forward in \d+\.\d s\. staging runs 1\.1\.0 again\./);
    });
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Rollback drill of web in staging[\s\S]*Drill passed/));
    const facts = await drillFacts(h, 'staging');
    expect(facts.slice(facts.indexOf('drill_started'))).toEqual(['drill_started', 'deploy_called', 'drill_rolled_back', 'deploy_called', 'drill_succeeded']);
    expect(await h.shipgate.audit.verify()).toMatchObject({ ok: true });

    // The deployment the drill rehearsed keeps its Roll back button.
    const rolled = await replyTo(h, quinn, '/promote rollback web staging');
    expect(rolled).toMatch(/Deploying the rollback of web in staging to 1\.0\.0/);
  });

  it('refuses people who may not roll back, production unless it allows drills, and says why; nothing is deployed', async () => {
    h = await startShipgate({ config: (url, prefix) => standardConfig(url, prefix) });
    await twoVersionsIn(h, 'production');
    const calls = h.deployTarget.calls.length;

    expect(await replyTo(h, mallory, '/promote rehearse rollback web staging')).toMatch(/Only those who may roll back staging can rehearse it/);
    expect(await replyTo(h, omar, '/promote rehearse rollback web production')).toMatch(/Rollback drills are off in production: it is where releases end.*`rehearsal: \{ allow: true \}`/);
    expect(await replyTo(h, lead, '/promote rehearse web staging')).toMatch(/say `rehearse rollback APP ENV`/);
    expect(h.deployTarget.calls.length).toBe(calls);
    expect(await h.shipgate.store.drills('web', 'staging')).toEqual([]);
    expect((await h.shipgate.auditEntriesOf('web', 'staging')).filter((e) => e.type === 'drill_refused').map((e) => e.actor)).toEqual([mallory]);
  });

  it('lets the rollback approvers of production rehearse there when it allows drills, and no one else', async () => {
    h = await startShipgate({ config: drillsEverywhere });
    await twoVersionsIn(h, 'production');
    expect(await replyTo(h, rita, '/promote rehearse rollback web production')).toMatch(/Only those who may roll back production can rehearse it: <!subteam\^S0ONCALL>/);
    const { message } = await h.ask(omar, '/promote rehearse rollback web production', 'C0PROD');
    const drill = await h.shipgate.promotion(message);
    await eventually(async () => expect((await h.shipgate.store.drills('web', 'production'))[0]).toMatchObject({ id: drill.id, outcome: 'succeeded', requester: omar }));
    expect(callsTo(h, 'production').slice(-2).map((c) => c.body.version)).toEqual(['1.0.0', '1.1.0']);
    expect(await h.shipgate.live('web', 'production')).toBe('1.1.0');
  });

  it('holds the environment: promotions and other drills are refused while it runs, and a drill waits for no one', async () => {
    h = await startShipgate({ config: drillsEverywhere });
    await twoVersionsIn(h, 'staging');
    await h.bring('1.2.0', 'development');
    h.deployTarget.asynchronous = true;
    const { message } = await h.ask(lead, '/promote rehearse rollback web staging', 'C0DEPLOYS');
    const drill = await h.shipgate.promotion(message);
    await eventually(() => expect(h.deployTarget.deployments.get(`${drill.id}-back`)).toBeTruthy());

    expect(await replyTo(h, alice, '/promote web 1.2.0 to staging')).toMatch(new RegExp(`already has a promotion in flight to staging \\(${drill.id}`));
    expect(await replyTo(h, quinn, '/promote rehearse rollback web staging')).toMatch(/is busy .*A drill never runs beside another deployment/);
    h.deployTarget.deployments.get(`${drill.id}-back`)!.state = 'succeeded';
    await eventually(() => expect(h.deployTarget.deployments.get(`${drill.id}-forward`)).toBeTruthy());
    expect(await replyTo(h, alice, '/promote web 1.2.0 to staging')).toMatch(/already has a promotion in flight/);
    h.deployTarget.deployments.get(`${drill.id}-forward`)!.state = 'succeeded';
    await eventually(async () => expect((await h.shipgate.store.get(drill.id))?.promotion.state).toBe('deployed'));

    // And the other way round: a promotion waiting for approval holds staging, so no drill starts.
    h.deployTarget.asynchronous = false;
    await h.ask(alice, '/promote web 1.2.0 to staging', 'C0DEPLOYS');
    expect(await replyTo(h, lead, '/promote rehearse rollback web staging')).toMatch(/is busy .*awaiting approval.*A drill never runs beside another deployment/);
  });

  it('leaves the environment on the version known good when the roll-forward fails, and says so loudly', async () => {
    h = await startShipgate({ config: drillsEverywhere });
    await twoVersionsIn(h, 'staging');
    h.deployTarget.asynchronous = true;
    const { message } = await h.ask(lead, '/promote rehearse rollback web staging', 'C0DEPLOYS');
    const drill = await h.shipgate.promotion(message);
    await eventually(() => expect(h.deployTarget.deployments.get(`${drill.id}-back`)).toBeTruthy());
    h.deployTarget.deployments.get(`${drill.id}-back`)!.state = 'succeeded';
    await eventually(() => expect(h.deployTarget.deployments.get(`${drill.id}-forward`)).toBeTruthy());
    Object.assign(h.deployTarget.deployments.get(`${drill.id}-forward`)!, { state: 'failed', reason: 'image pull backoff' });

    await eventually(async () => expect((await h.shipgate.store.get(drill.id))?.promotion.state).toBe('failed'));
    expect(await h.shipgate.live('web', 'staging')).toBe('1.0.0');
    expect((await h.shipgate.store.drills('web', 'staging'))[0]).toMatchObject({ outcome: 'forward_failed', liveAfter: '1.0.0', error: 'image pull backoff' });
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/:rotating_light: <!here> Roll-forward failed: \*web in staging is left on 1\.0\.0\*, not 1\.1\.0 \(image pull backoff\)/));
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Roll-forward failed: staging is left on 1\.0\.0/));
    const forwardFailed = (await h.shipgate.auditEntriesOf('web', 'staging')).find((e) => e.type === 'drill_forward_failed');
    expect(forwardFailed?.detail).toMatchObject({ left_on: '1.0.0', not_restored: '1.1.0', error: 'image pull backoff' });
  });

  it('records a drill whose rollback leg fails as failed, with the environment still on its version', async () => {
    h = await startShipgate({ config: drillsEverywhere });
    await twoVersionsIn(h, 'staging');
    h.deployTarget.asynchronous = true;
    const { message } = await h.ask(lead, '/promote rehearse rollback web staging', 'C0DEPLOYS');
    const drill = await h.shipgate.promotion(message);
    await eventually(() => expect(h.deployTarget.deployments.get(`${drill.id}-back`)).toBeTruthy());
    Object.assign(h.deployTarget.deployments.get(`${drill.id}-back`)!, { state: 'failed', reason: 'migration cannot go down' });
    await eventually(async () => expect((await h.shipgate.store.drills('web', 'staging'))[0]).toMatchObject({ outcome: 'failed', liveAfter: '1.1.0' }));
    expect(await h.shipgate.live('web', 'staging')).toBe('1.1.0');
    expect(h.deployTarget.deployments.has(`${drill.id}-forward`)).toBe(false);
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/Drill failed: the rollback to 1\.0\.0 did not go through \(migration cannot go down\)\. staging still runs 1\.1\.0/));
  });

  it('never refuses a real rollback during a drill: it queues, the drill stops after its leg, and the rollback runs', async () => {
    h = await startShipgate({ config: drillsEverywhere });
    await twoVersionsIn(h, 'staging');
    const original = (await h.shipgate.store.current('web', 'staging'))!.promotionId;
    h.deployTarget.asynchronous = true;
    const { message } = await h.ask(lead, '/promote rehearse rollback web staging', 'C0DEPLOYS');
    const drill = await h.shipgate.promotion(message);
    await eventually(() => expect(h.deployTarget.deployments.get(`${drill.id}-back`)).toBeTruthy());

    const asked = await replyTo(h, quinn, '/promote rollback web staging');
    expect(asked).toMatch(/Queued the rollback of web in staging to 1\.0\.0/);
    const rollbackId = /\((sg-\d+)\)/.exec(asked)![1]!;
    h.deployTarget.asynchronous = false;
    h.deployTarget.deployments.get(`${drill.id}-back`)!.state = 'succeeded';

    await eventually(async () => expect((await h.shipgate.store.get(rollbackId))?.promotion.state).toBe('deployed'));
    expect((await h.shipgate.store.get(drill.id))?.promotion).toMatchObject({ state: 'cancelled', ending: { reason: `interrupted by rollback ${rollbackId}` } });
    expect(h.deployTarget.deployments.has(`${drill.id}-forward`)).toBe(false);
    expect(callsTo(h, 'staging').slice(-2).map((c) => [c.body.promotion_id, c.body.version])).toEqual([
      [`${drill.id}-back`, '1.0.0'],
      [rollbackId, '1.0.0'],
    ]);
    expect(await h.shipgate.live('web', 'staging')).toBe('1.0.0');
    // The rollback did what it was asked: 1.1.0 is marked bad, and the deployment it undid is rolled back.
    expect((await h.shipgate.store.bad('web', 'staging')).get('1.1.0')).toBe(rollbackId);
    await eventually(async () => expect((await h.shipgate.store.get(original))?.promotion.state).toBe('rolled_back'));
    expect((await h.shipgate.store.drills('web', 'staging'))[0]).toMatchObject({ id: drill.id, outcome: 'interrupted', liveAfter: '1.0.0' });
    const facts = await drillFacts(h, 'staging');
    expect(facts.slice(facts.indexOf('drill_started'))).toEqual(['drill_started', 'deploy_called', 'deploy_started_remote', 'rollback_requested', 'rollback_queued', 'drill_interrupted', 'rollback_started', 'deploy_started', 'deploy_called', 'deployed']);
    expect(await h.shipgate.audit.verify()).toMatchObject({ ok: true });
  });

  it('blocks production with the rollback-rehearsed gate until the rollback path passed a drill in staging within the period', async () => {
    const gated = (url: string, prefix: string) =>
      drillsEverywhere(url, prefix, 'gates:\n  rehearsed: { type: rollback-rehearsed, within: 30d }\n').replace('    from: staging\n', '    from: staging\n    gates: [rehearsed]\n');
    h = await startShipgate({ config: gated });
    await twoVersionsIn(h, 'staging');
    const production = async () => {
      const { message } = await h.ask(alice, '/promote web 1.1.0 to production', 'C0PROD');
      await eventually(async () => expect(['blocked', 'awaiting_approval']).toContain((await h.shipgate.promotion(message)).state));
      return message;
    };

    const first = await production();
    const blocked = await h.shipgate.promotion(first);
    expect(blocked.state).toBe('blocked');
    expect(blocked.gates?.results.rehearsed).toMatchObject({ status: 'failed', summary: expect.stringMatching(/rollback not rehearsed successfully in staging within 30 days: no drill yet\. Run `\/promote rehearse rollback web staging`/) });
    expect(callsTo(h, 'production')).toEqual([]);

    const { message } = await h.ask(lead, '/promote rehearse rollback web staging', 'C0DEPLOYS');
    const drill = await h.shipgate.promotion(message);
    await eventually(async () => expect((await h.shipgate.store.drills('web', 'staging'))[0]?.outcome).toBe('succeeded'));

    // The button comes with the render that follows the blocked state; click it once it shows.
    await eventually(() => expect(buttonsOf(h.fake.refreshed(first)).map((b) => b.label)).toContain('Re-run gates'));
    await h.slack.click(alice, first, 'Re-run gates');
    await eventually(async () => expect((await h.shipgate.promotion(first)).state).toBe('awaiting_approval'));
    expect((await h.shipgate.promotion(first)).gates?.results.rehearsed?.summary).toMatch(new RegExp(`rollback rehearsed in staging within 30 days: last drill \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC, .* ago \\(${drill.id}, succeeded\\), 1\\.1\\.0 → 1\\.0\\.0 → 1\\.1\\.0`));
    await h.slack.click(alice, first, 'Cancel');
    await eventually(async () => expect((await h.shipgate.promotion(first)).state).toBe('cancelled'));

    // Thirty-one days on, the drill is too old.
    h.shipgate.clock.advance(31 * 86_400_000);
    const later = await h.shipgate.promotion(await production());
    expect(later.gates?.results.rehearsed).toMatchObject({ status: 'failed', summary: expect.stringMatching(new RegExp(`within 30 days: last drill .* ago \\(${drill.id}, succeeded\\)`)) });
  });

  it('starts a scheduled drill once per period, only while the window is open, however many workers run', async () => {
    const WEEKDAYS_9_TO_17 = 'timezone: UTC\nwindows:\n  - days: [mon, tue, wed, thu, fri]\n    start: "09:00"\n    end: "17:00"\n';
    const scheduled = (url: string, prefix: string) =>
      drillsEverywhere(url, prefix).replace('approvals: { required: 1, approvers: [S0QA, U0LEAD] }\n', 'approvals: { required: 1, approvers: [S0QA, U0LEAD] }\n    calendar: staging\n    rehearsal: { every: 30d }\n');
    h = await startShipgate({ config: scheduled, calendars: { 'staging.yml': WEEKDAYS_9_TO_17 } });
    const queue = new Queue(QUEUE.deploy, { connection: h.shipgate.redis, prefix: h.shipgate.prefix });
    try {
      // A tick: the scheduler's next job runs now, and the test waits for it to finish.
      const tick = async () => {
        const next = await eventually(async () => {
          const due = (await queue.getDelayed()).find((j) => j.name === 'drill-due');
          if (!due) throw new Error('no drill-due job waiting');
          return due;
        });
        await next.promote();
        await eventually(async () => expect(['completed', 'unknown']).toContain(await queue.getJobState(next.id!)));
      };
      h.shipgate.clock.set(Date.parse('2026-12-01T10:00:00Z'));
      await twoVersionsIn(h, 'staging');
      await h.shipgate.startWorker();
      expect((await queue.getJobSchedulers()).map((s) => s.key).filter((k) => k.startsWith('drill-'))).toEqual(['drill-web-staging']);
      const before = callsTo(h, 'staging').length;

      h.shipgate.clock.set(Date.parse('2026-12-01T20:00:00Z'));
      await tick();
      expect((await h.shipgate.auditEntriesOf('web', 'staging')).filter((e) => e.type === 'drill_started')).toEqual([]);
      expect(await h.shipgate.store.drills('web', 'staging')).toEqual([]);
      expect(callsTo(h, 'staging').length).toBe(before);

      h.shipgate.clock.set(Date.parse('2026-12-02T10:00:00Z'));
      await tick();
      await eventually(async () => expect((await h.shipgate.store.drills('web', 'staging')).map((d) => [d.requester, d.outcome])).toEqual([['shipgate', 'succeeded']]));
      await tick();
      await tick();
      expect(await h.shipgate.store.drills('web', 'staging')).toHaveLength(1);
      expect(callsTo(h, 'staging').slice(before).map((c) => c.body.version)).toEqual(['1.0.0', '1.1.0']);
      const started = (await h.shipgate.auditEntriesOf('web', 'staging')).filter((e) => e.type === 'drill_started');
      expect(started.map((e) => [e.actor, e.detail])).toEqual([['shipgate', expect.objectContaining({ scheduled: true })]]);

      // The next period, inside a window: the next drill.
      h.shipgate.clock.set(Date.parse('2027-01-06T10:00:00Z'));
      await tick();
      await eventually(async () => expect(await h.shipgate.store.drills('web', 'staging')).toHaveLength(2));
    } finally {
      await queue.close();
    }
  });

  it('takes the Roll back button of the rehearsed deployment during the roll-forward as a rollback of that deployment', async () => {
    h = await startShipgate({ config: drillsEverywhere });
    await h.bring('1.0.0', 'staging');
    await h.bring('1.1.0', 'development');
    const { message: deployment } = await h.ask(alice, '/promote web 1.1.0 to staging', 'C0DEPLOYS');
    await h.slack.click(lead, deployment, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'staging')).toBe('1.1.0'));
    const original = (await h.shipgate.promotion(deployment)).id;
    const button = await eventually(() => {
      const note = h.fake.thread(deployment).find((n) => textOf(n).includes('Roll back to 1.0.0'));
      if (!note) throw new Error('no Roll back button yet');
      return note;
    });

    h.deployTarget.asynchronous = true;
    const { message } = await h.ask(lead, '/promote rehearse rollback web staging', 'C0DEPLOYS');
    const drill = await h.shipgate.promotion(message);
    await eventually(() => expect(h.deployTarget.deployments.get(`${drill.id}-back`)).toBeTruthy());
    h.deployTarget.deployments.get(`${drill.id}-back`)!.state = 'succeeded';
    await eventually(() => expect(h.deployTarget.deployments.get(`${drill.id}-forward`)).toBeTruthy());
    // Mid-drill the ledger says 1.0.0; the rollback is still about 1.1.0, the version the drill returns to.
    expect(await h.shipgate.live('web', 'staging')).toBe('1.0.0');

    await h.slack.click(quinn, button, 'Roll back to 1.0.0');
    const rollback = await eventually(async () => {
      const queued = (await h.shipgate.store.active()).find((p) => p.kind === 'rollback');
      expect(queued).toMatchObject({ state: 'queued', version: '1.0.0', previousVersion: '1.1.0', rollbackOf: original, undoes: ['1.1.0'], behindDrill: drill.id });
      return queued!;
    });
    h.deployTarget.asynchronous = false;
    h.deployTarget.deployments.get(`${drill.id}-forward`)!.state = 'succeeded';

    await eventually(async () => expect((await h.shipgate.store.get(rollback.id))?.promotion.state).toBe('deployed'));
    expect((await h.shipgate.store.drills('web', 'staging'))[0]).toMatchObject({ id: drill.id, outcome: 'succeeded' });
    expect(callsTo(h, 'staging').slice(-3).map((c) => [c.body.promotion_id, c.body.version])).toEqual([
      [`${drill.id}-back`, '1.0.0'],
      [`${drill.id}-forward`, '1.1.0'],
      [rollback.id, '1.0.0'],
    ]);
    expect(await h.shipgate.live('web', 'staging')).toBe('1.0.0');
    expect((await h.shipgate.store.bad('web', 'staging')).get('1.1.0')).toBe(rollback.id);
    await eventually(async () => expect((await h.shipgate.store.get(original))?.promotion.state).toBe('rolled_back'));
  });
});
