import { Worker, UnrecoverableError } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUE } from '../../src/queue/queues.js';
import { buttonsOf, textOf } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';
import { Redis } from 'ioredis';
import { accept } from '../../src/domain/decision.js';
import { promotion } from '../domain/fixtures.js';

const { alice, rita, raj, omar, olga, lead } = PEOPLE;

const productionCalls = (h: Harness) => h.deployTarget.calls.filter((c) => c.body.environment === 'production');

/** web 1.0.0 then 1.1.0 in production, each through the standard path. */
async function twoReleases(h: Harness) {
  await h.bring('1.0.0', 'production');
  await h.bring('1.1.0', 'production');
}

/** The on-call person rolls production back; the other on-call person approves; it lands. */
async function rollBackProduction(h: Harness, expected: string) {
  const { message } = await h.ask(omar, '/promote rollback web production', 'C0PROD');
  await h.slack.click(olga, message, 'Approve');
  await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe(expected));
  return message;
}

describe('recovery is never refused', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('sets aside a promotion that waits for approval, and the rollback proceeds', async () => {
    h = await startShipgate();
    await twoReleases(h);
    await h.bring('1.2.0', 'staging');
    const { message: waiting } = await h.ask(alice, '/promote web 1.2.0 to production', 'C0PROD');
    await h.slack.click(rita, waiting, 'Approve');

    const { message: rollback } = await h.ask(omar, '/promote rollback web production checkout is down', 'C0PROD');
    expect(textOf(rollback)).toContain('Rollback of web 1.0.0 to production');
    await eventually(async () => expect((await h.shipgate.promotion(waiting)).state).toBe('superseded'));
    await eventually(() => expect(textOf(h.fake.refreshed(waiting))).toMatch(/Superseded/));
    await eventually(() => expect(h.fake.thread(waiting).map(textOf).join('\n')).toMatch(/Set aside: sg-\d+ \(the rollback to 1\.0\.0\) takes over production/));
    expect(buttonsOf(h.fake.refreshed(waiting))).toEqual([]);

    await h.slack.click(olga, rollback, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.0.0'));
    expect(productionCalls(h).map((c) => c.body.version)).toEqual(['1.0.0', '1.1.0', '1.0.0']);
    const superseded = (await h.shipgate.auditEntriesOf('web', 'production')).find((e) => e.type === 'superseded');
    expect(superseded).toMatchObject({ actor: omar, detail: { was: 'awaiting_approval', by_kind: 'rollback' } });
    expect(await h.shipgate.audit.verify()).toMatchObject({ ok: true });
  });

  it('waits for a deployment in progress, then rolls back to the last version known good', async () => {
    h = await startShipgate();
    await twoReleases(h);
    await h.bring('1.2.0', 'staging');
    h.deployTarget.answerNext('hang');
    const { message: deploying } = await h.ask(alice, '/promote web 1.2.0 to production', 'C0PROD');
    await h.slack.click(rita, deploying, 'Approve');
    await h.slack.click(raj, deploying, 'Approve');
    await eventually(() => expect(productionCalls(h).at(-1)?.body.version).toBe('1.2.0'));

    const { message: rollback } = await h.ask(omar, '/promote rollback web production', 'C0PROD');
    await eventually(async () => expect((await h.shipgate.promotion(rollback)).state).toBe('queued'));
    expect(textOf(rollback)).toMatch(/Queued behind a deployment/);
    await h.slack.click(olga, rollback, 'Approve');

    // The hanging call times out (2 s) and is retried; the retry succeeds, 1.2.0 lands, then the rollback runs.
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.0.0'), { timeoutMs: 20_000 });
    const calls = productionCalls(h).map((c) => [c.body.kind, c.body.version]);
    expect(calls.at(-1)).toEqual(['rollback', '1.0.0']);
    expect((await h.shipgate.promotion(rollback)).undoes).toEqual(['1.2.0', '1.1.0']);
    expect(await h.shipgate.store.bad('web', 'production')).toEqual(new Map([['1.2.0', expect.stringMatching(/^sg-/) as string], ['1.1.0', expect.stringMatching(/^sg-/) as string]]));
  });

  it('an alert after a rollback never offers the version that was rolled back, and promoting it again needs --force-bad', async () => {
    h = await startShipgate({
      config: (url, prefix) => standardConfig(url, prefix, 'alerts:\n  alertmanager: { token: "alert-token-0123456789" }\n'),
    });
    await twoReleases(h);
    await rollBackProduction(h, '1.0.0');

    const alert = {
      version: '4',
      status: 'firing',
      receiver: 'shipgate',
      groupKey: 'g',
      alerts: [{ status: 'firing', labels: { alertname: 'Errors', app: 'web', environment: 'production', severity: 'critical' }, annotations: { summary: 'Errors after the rollback' }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', fingerprint: 'f00d' }],
    };
    const sent = await fetch(`${h.shipgate.receivers[0]}/alerts/alertmanager`, { method: 'POST', headers: { authorization: 'Bearer alert-token-0123456789', 'content-type': 'application/json' }, body: JSON.stringify(alert) });
    expect(sent.status).toBe(200);
    const alertMessage = await eventually(() => {
      const m = h.fake.topLevelIn('C0PROD').find((x) => textOf(x).includes('Errors after the rollback'));
      if (!m) throw new Error('no alert message yet');
      return m;
    });
    expect(textOf(alertMessage)).not.toMatch(/Roll back to 1\.1\.0/);
    expect(buttonsOf(alertMessage).map((b) => b.label).join(',')).not.toContain('1.1.0');

    await h.slack.command(alice, '/promote web 1.1.0 to production');
    await eventually(() => expect(h.fake.lastEphemeralTo(alice)).toMatch(/1\.1\.0 was rolled back in production .* marked bad there.*--force-bad/));
    const { message } = await h.ask(alice, '/promote web 1.1.0 to production --force-bad the fault was a feature flag, now off', 'C0PROD');
    expect(textOf(message)).toMatch(/1\.1\.0 was rolled back in production\* and is marked bad there\. Asked again with --force-bad: the fault was a feature flag, now off/);
  });

  it('refuses a person outside the rollback policy, recording nothing but the refusal, and takes no promotion id', async () => {
    h = await startShipgate();
    await twoReleases(h);
    const count = await h.shipgate.promotionCount();
    const sequence = await h.shipgate.redis.get(`${h.shipgate.prefix}:seq:promotion`);
    await h.slack.command(alice, '/promote rollback web production');
    await eventually(() => expect(h.fake.lastEphemeralTo(alice)).toMatch(/Only <!subteam\^S0ONCALL> can roll back production/));
    await h.slack.command(alice, '/promote web 9.9.9 to production');
    await eventually(() => expect(h.fake.lastEphemeralTo(alice)).toMatch(/9\.9\.9 is not what runs in staging/));
    expect(await h.shipgate.promotionCount()).toBe(count);
    expect(await h.shipgate.redis.get(`${h.shipgate.prefix}:seq:promotion`)).toBe(sequence);
    const refused = (await h.shipgate.auditEntriesOf('web', 'production')).filter((e) => e.type === 'rollback_refused');
    expect(refused).toHaveLength(1);
  });
});

describe('nothing unsafe slips through', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('blocks a promotion at deploy start when `from` no longer runs its version, deploys nothing, and a new request supersedes it', async () => {
    h = await startShipgate();
    await h.bring('1.0.0', 'staging');
    await h.bring('1.1.0', 'staging');
    const { message } = await h.ask(alice, '/promote web 1.1.0 to production', 'C0PROD');
    await h.slack.click(rita, message, 'Approve');
    // Staging is rolled back while production's approvals are still being given.
    await h.slack.command(lead, '/promote rollback web staging');
    await eventually(async () => expect(await h.shipgate.live('web', 'staging')).toBe('1.0.0'));
    await h.slack.click(raj, message, 'Approve');

    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('blocked'));
    expect((await h.shipgate.promotion(message)).blockedReason).toMatch(/staging no longer runs 1\.1\.0 \(it runs 1\.0\.0\)/);
    expect(productionCalls(h)).toEqual([]);
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/\*Blocked:\* staging no longer runs 1\.1\.0/));
    expect(buttonsOf(h.fake.refreshed(message)).map((b) => b.label)).toEqual(['Cancel']);

    const { message: next } = await h.ask(alice, '/promote web 1.0.0 to production', 'C0PROD');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('superseded'));
    expect((await h.shipgate.promotion(next)).state).toBe('awaiting_approval');
  });

  it('lets a scheduled promotion be cancelled from its message', async () => {
    h = await startShipgate({ calendars: { 'production.yml': 'timezone: UTC\nwindows:\n  - days: [mon]\n    start: "10:00"\n    end: "11:00"\n' } });
    await h.bring('1.0.0', 'staging');
    h.shipgate.clock.set(Date.parse('2026-12-02T12:00:00Z'));
    const { message } = await h.ask(alice, '/promote web 1.0.0 to production', 'C0PROD');
    await h.slack.click(rita, message, 'Approve');
    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('scheduled'));
    await eventually(() => expect(buttonsOf(h.fake.refreshed(message)).map((b) => b.label)).toEqual(['Approve', 'Cancel']));
    await h.slack.click(alice, h.fake.refreshed(message), 'Cancel');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('cancelled'));
    expect(productionCalls(h)).toEqual([]);
  });

  it('sends a scheduled promotion back for approval when its approvals lapse before the window opens', async () => {
    // Approvals given inside a window expire as configured; those given while closed hold for the next window.
    const shortApprovals = (url: string, prefix: string) => standardConfig(url, prefix).replace('expire_after: 4h', 'expire_after: 1h');
    h = await startShipgate({ config: shortApprovals, calendars: { 'production.yml': 'timezone: UTC\nwindows:\n  - days: [mon]\n    start: "10:00"\n    end: "11:00"\n' } });
    await h.bring('1.0.0', 'staging');
    h.shipgate.clock.set(Date.parse('2026-11-30T10:30:00Z'));
    const { message } = await h.ask(alice, '/promote web 1.0.0 to production', 'C0PROD');
    await h.slack.click(rita, message, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(message)).approvals).toHaveLength(1));
    // Rita's approval lapses at 11:30, a few seconds after Raj approves outside the window.
    h.shipgate.clock.set(Date.parse('2026-11-30T11:29:57Z'));
    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('scheduled'));
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('awaiting_approval'), { timeoutMs: 10_000 });
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/Approvals lapsed while this promotion waited/));
  });
});

describe('nothing gets stuck', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('queues follow-up work committed while no worker ran, as soon as one starts', async () => {
    h = await startShipgate({ noWorker: true });
    await h.slack.command(alice, '/promote web 1.0.0 to development');
    await eventually(async () => expect(await h.shipgate.promotionCount()).toBe(1));
    expect(await h.shipgate.redis.xlen(h.shipgate.keys.outbox)).toBeGreaterThan(0);
    expect(h.fake.topLevelIn('C0DEPLOYS')).toEqual([]);
    await h.shipgate.startWorker();
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.0.0'));
    await eventually(() => expect(h.fake.topLevelIn('C0DEPLOYS')).toHaveLength(1));
    await eventually(async () => expect(await h.shipgate.redis.xlen(h.shipgate.keys.outbox)).toBe(0));
  });

  it('ends a deployment whose job BullMQ gave up on while nobody recorded it, when the next worker sweeps', async () => {
    h = await startShipgate({ noWorker: true });
    await h.slack.command(alice, '/promote web 1.0.0 to development');
    await eventually(async () => expect(await h.shipgate.promotionCount()).toBe(1));
    const id = (await h.shipgate.store.active())[0]!.id;
    // A stand-in for a process that took the deploy job and died in a way BullMQ fails for good
    // (an unrecoverable error here), before Shipgate recorded anything. The relay is not running, so queue it by hand.
    const stored = (await h.shipgate.store.get(id))!.promotion;
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const { Queue } = await import('bullmq');
    const queue = new Queue(QUEUE.deploy, { connection, prefix: h.shipgate.prefix });
    await queue.add('deploy', { promotionId: id }, { jobId: `deploy-${id}-${stored.deployment!.startedAt}` });
    const rogue = new Worker(QUEUE.deploy, async () => { throw new UnrecoverableError('the deploy process crashed'); }, { connection, prefix: h.shipgate.prefix });
    await eventually(async () => expect(await queue.getJobCounts('failed')).toMatchObject({ failed: 1 }));
    await rogue.close();
    await queue.close();
    connection.disconnect();
    expect((await h.shipgate.store.get(id))!.promotion.state).toBe('deploying');

    await h.shipgate.startWorker();
    await eventually(async () => expect((await h.shipgate.store.get(id))!.promotion).toMatchObject({ state: 'failed', deployment: { error: expect.stringMatching(/the deploy process crashed/) as string } }));
    expect(h.deployTarget.calls).toEqual([]);
  });

  it('runs a window check that gave up for good again when the sweep finds its promotion still scheduled', async () => {
    h = await startShipgate({ noWorker: true });
    const at = h.shipgate.clock.now() - 1000;
    // Scheduled for a window that is due, with no approval: the check, once it runs, sends it back for approval.
    await h.shipgate.store.create('web', 'production', ['development', 'staging', 'production'], (_s, id) =>
      accept(promotion({ id, state: 'scheduled', scheduledFor: at, message: { channel: 'C0PROD', ts: null } }), [{ type: 'requested', actor: alice }], []),
    );
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const { Queue } = await import('bullmq');
    const queue = new Queue(QUEUE.deploy, { connection, prefix: h.shipgate.prefix });
    await queue.add('check-window', { promotionId: 'sg-1', at }, { jobId: `window-sg-1-${at}` });
    const rogue = new Worker(QUEUE.deploy, async () => { throw new UnrecoverableError('the calendar files could not be read'); }, { connection, prefix: h.shipgate.prefix });
    await eventually(async () => expect(await queue.getJobCounts('failed')).toMatchObject({ failed: 1 }));
    await rogue.close();
    await queue.close();
    connection.disconnect();

    await h.shipgate.startWorker();
    await eventually(async () => expect((await h.shipgate.store.get('sg-1'))!.promotion.state).toBe('awaiting_approval'));
  });

  it('ends a deployment failed through BullMQ\'s failed event once every attempt failed', async () => {
    h = await startShipgate();
    h.deployTarget.answerNext({ status: 500 }, { status: 500 }, { status: 500 });
    await h.slack.command(alice, '/promote web 1.0.0 to development');
    await eventually(async () => expect((await h.shipgate.store.active()).length + (await h.shipgate.promotionCount())).toBeGreaterThan(0));
    await eventually(async () => expect((await h.shipgate.store.get('sg-1'))!.promotion).toMatchObject({ state: 'failed', deployment: { error: expect.stringMatching(/answered 500.*\(after 3 attempts\)/) as string } }));
    expect(h.deployTarget.calls).toHaveLength(3);
    expect(new Set(h.deployTarget.calls.map((c) => c.headers['idempotency-key']))).toEqual(new Set(['sg-1']));
  });

  it('a stopping worker with a deployment still running exits within its grace period', async () => {
    h = await startShipgate({ noWorker: true, config: (url, prefix) => standardConfig(url, prefix).replace('queue: {', 'queue: { shutdown_grace: 1s,').replace('timeout: 2s', 'timeout: 60s') });
    h.deployTarget.answerNext('hang');
    const worker = h.shipgate.spawnWorker();
    await h.slack.command(alice, '/promote web 1.0.0 to development');
    await eventually(() => expect(h.deployTarget.calls).toHaveLength(1), { timeoutMs: 15_000 });
    worker.kill('SIGTERM');
    const code = await Promise.race([worker.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
    expect(code).not.toBe('still running');
  });
});
