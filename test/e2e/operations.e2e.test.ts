import { afterEach, describe, expect, it } from 'vitest';
import { accept } from '../../src/domain/decision.js';
import { promotion } from '../domain/fixtures.js';
import { textOf } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';

describe('operations', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('serves /healthz, /readyz and /metrics, and says when Redis could evict queue keys', async () => {
    h = await startShipgate();
    const base = h.shipgate.receivers[0]!;
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n');
    const ready = await fetch(`${base}/readyz`);
    // The test Redis has no persistence, which /readyz reports as a warning without failing readiness.
    expect([ready.status, await ready.text()]).toEqual([200, expect.stringMatching(/^ready\b/)]);

    await h.slack.command(PEOPLE.alice, '/promote status');
    await eventually(async () => expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/shipgate_slack_requests_total\{kind="status",outcome="ok"\} 1/));

    const [, policy] = (await h.shipgate.redis.config('GET', 'maxmemory-policy')) as string[];
    await h.shipgate.redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.text()).toMatch(/maxmemory-policy is allkeys-lru; queues need noeviction/);
    } finally {
      await h.shipgate.redis.config('SET', 'maxmemory-policy', policy ?? 'noeviction');
    }
  });

  it('deploys and posts a promotion committed by a process that stopped before queueing its jobs', async () => {
    h = await startShipgate({ noWorker: true });
    const orphan = promotion({ id: 'sg-900', environment: 'development', from: null, previousVersion: null, version: '9.0.0', state: 'deploying', message: { channel: 'C0DEPLOYS', ts: null } });
    await h.shipgate.store.create('web', 'development', ['development'], () => accept(orphan, [{ type: 'requested', actor: PEOPLE.alice }], []));
    expect(h.deployTarget.calls).toHaveLength(0);

    await h.shipgate.startWorker();
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('9.0.0'));
    expect(h.deployTarget.calls.map((c) => c.body.promotion_id)).toEqual(['sg-900']);
    await eventually(() => expect(textOf(h.fake.lastMessageIn('C0DEPLOYS'))).toMatch(/Deployed/));
  });

  it('runs the gates of a promotion committed as checking by a process that stopped before adding its flow', async () => {
    const { FakeGateTarget, REPORTS } = await import('../support/fake-gate-target.js');
    const target = await new FakeGateTarget().start();
    target.answer('/web/9.0.0/tests', REPORTS.testsPassed);
    try {
      h = await startShipgate({
        noWorker: true,
        config: (url, prefix) =>
          standardConfig(url, prefix)
            .replace('  development: {}', '  development: { gates: [tests] }')
            .concat(`\ngates:\n  tests: { type: http-json, url: "${target.url}/{app}/{version}/tests", expect: { path: run.status, equals: passed } }\n`),
      });
      const pending = { status: 'pending' as const, summary: 'waiting to run', evidenceUrl: null, durationMs: null, configHash: 'x' };
      const orphan = promotion({ id: 'sg-901', environment: 'development', from: null, previousVersion: null, version: '9.0.0', state: 'checking', gates: { run: 1, results: { tests: pending } }, message: { channel: 'C0DEPLOYS', ts: null } });
      await h.shipgate.store.create('web', 'development', ['development'], () => accept(orphan, [{ type: 'requested', actor: PEOPLE.alice }], []));
      await h.shipgate.startWorker();
      await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('9.0.0'));
      expect(target.countOf('/web/9.0.0/tests')).toBe(1);
      await h.shipgate.startWorker(); // a second start finds the flow and adds nothing
      await new Promise((r) => setTimeout(r, 300));
      expect(target.countOf('/web/9.0.0/tests')).toBe(1);
    } finally {
      await target.close();
    }
  });

  it('answers a click even when the stored record cannot be read, and changes nothing', async () => {
    h = await startShipgate();
    await h.slack.command(PEOPLE.alice, '/promote web 1.0.0 to development');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.0.0'));
    const { message } = await h.ask(PEOPLE.alice, '/promote web 1.0.0 to staging', 'C0DEPLOYS');
    const id = (await h.shipgate.promotion(message)).id;
    await eventually(async () => expect((await h.shipgate.promotion(id)).state).toBe('awaiting_approval'));
    // Bump rev with the corruption: commits guard on rev, so a write already in flight
    // (the message ts, a window check) conflicts and re-reads instead of writing over it.
    await h.shipgate.redis.multi().hset(h.shipgate.keys.promotion(id), 'json', '{corrupt').hincrby(h.shipgate.keys.promotion(id), 'rev', 1).exec();
    await h.slack.click(PEOPLE.quinn, message, 'Approve');
    await eventually(() => expect(h.fake.lastEphemeralTo(PEOPLE.quinn)).toMatch(/internal error \(it has been logged\)/));
    expect(await h.shipgate.redis.hget(h.shipgate.keys.promotion(id), 'json')).toBe('{corrupt');
    expect(await h.shipgate.live('web', 'staging')).toBeNull();
  });
});
