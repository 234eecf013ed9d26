import { afterEach, describe, expect, it } from 'vitest';
import { textOf } from '../support/fake-slack.js';
import { eventually, sleep } from '../support/eventually.js';
import { FakeGateTarget, REPORTS } from '../support/fake-gate-target.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, lead, quinn } = PEOPLE;

/** Staging runs three gates against the fake CI target before its one approval counts. */
function gatedConfig(target: FakeGateTarget) {
  return (url: string, prefix: string) =>
    standardConfig(url, prefix)
      .replace('    from: development\n    approvals: { required: 1, approvers: [S0QA, U0LEAD] }', '    from: development\n    approvals: { required: 1, approvers: [S0QA, U0LEAD] }\n    gates: [tests, coverage, junit]')
      .concat(`
gates:
  tests: { type: http-json, url: "${target.url}/{app}/{version}/tests", expect: { path: run.status, equals: passed }, timeout: 2s }
  coverage: { type: coverage, url: "${target.url}/{app}/{version}/coverage", min_lines: 80, timeout: 2s }
  junit: { type: junit, url: "${target.url}/{app}/{version}/junit.xml", max_failures: 0, timeout: 2s }
`);
}

const stagingDeploys = (h: Harness) => h.deployTarget.calls.filter((c) => c.body.environment === 'staging');

describe('promotion gates', () => {
  let h: Harness;
  let target: FakeGateTarget;
  afterEach(async () => {
    await h.close();
    await target.close();
  });

  async function start(version: string, options: Parameters<typeof startShipgate>[0] = {}) {
    target = await new FakeGateTarget().start();
    target.answer(`/web/${version}/tests`, REPORTS.testsPassed).answer(`/web/${version}/coverage`, REPORTS.coverage(83.2)).answer(`/web/${version}/junit.xml`, REPORTS.junit(0));
    h = await startShipgate({ config: gatedConfig(target), ...options });
    if (!options.noWorker) await h.bring(version, 'development');
  }

  it('runs every gate, shows each result with its evidence, and deploys once approved', async () => {
    await start('2.0.0');
    const { message, ack } = await h.ask(alice, '/promote web 2.0.0 to staging', 'C0DEPLOYS');
    expect(ack.status).toBe(200);
    // Approval while the gates still run is kept and counts once they pass.
    await h.slack.click(lead, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'staging')).toBe('2.0.0'));

    const shown = await eventually(() => {
      const text = textOf(h.fake.refreshed(message));
      expect(text).toMatch(/Deployed/);
      return text;
    });
    expect(shown).toMatch(/:white_check_mark: \*tests\*: run\.status = "passed" · <http:\/\/127\.0\.0\.1:\d+\/web\/2\.0\.0\/tests\|evidence>/);
    expect(shown).toMatch(/:white_check_mark: \*coverage\*: coverage 83\.2% ≥ 80%/);
    expect(shown).toMatch(/:white_check_mark: \*junit\*: 0 failed of 3 tests/);
    const p = await h.shipgate.promotion(message);
    expect(Object.values(p.gates!.results).map((r) => r.status)).toEqual(['passed', 'passed', 'passed']);
    expect(Object.values(p.gates!.results).every((r) => r.durationMs !== null && /^[0-9a-f]{64}$/.test(r.configHash))).toBe(true);
    const audited = (await h.shipgate.auditEntries()).filter((e) => e.promotion === p.id).map((e) => e.type);
    expect(audited.filter((t) => t !== 'approved')).toEqual(['requested', 'gate_passed', 'gate_passed', 'gate_passed', 'gates_passed', 'deploy_started', 'deploy_called', 'deployed']);
    expect(audited.filter((t) => t === 'approved')).toHaveLength(1);
    expect(stagingDeploys(h)).toHaveLength(1);
  });

  it('blocks on a failed gate, then deploys after a fix and a re-run, keeping the approval', async () => {
    await start('2.0.0');
    // The failing report comes slowly, so the approval is given while the gates still run.
    target.answer('/web/2.0.0/coverage', { ...REPORTS.coverage(71.3), delayMs: 1500 });
    const { message } = await h.ask(alice, '/promote web 2.0.0 to staging', 'C0DEPLOYS');
    await h.slack.click(quinn, message, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('blocked'));
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/:x: \*coverage\*: coverage 71\.3% &lt; 80%/));
    // The gate's line can be rendered before the settled run's buttons: wait for the latter.
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Re-run gates/));
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/Blocked: coverage failed: coverage 71\.3% &lt; 80%/));
    expect(stagingDeploys(h)).toHaveLength(0);

    await h.slack.click(PEOPLE.mallory, message, 'Re-run gates');
    await eventually(() => expect(h.fake.lastEphemeralTo(PEOPLE.mallory)).toMatch(/Only the person who asked for this promotion or an approver/));

    target.answer('/web/2.0.0/coverage', REPORTS.coverage(85));
    await h.slack.click(alice, message, 'Re-run gates');
    await eventually(async () => expect(await h.shipgate.live('web', 'staging')).toBe('2.0.0'));
    const p = await h.shipgate.promotion(message);
    expect(p.gates!.run).toBe(2);
    expect(p.approvals.map((a) => a.user)).toEqual([quinn]);
    expect(target.countOf('/web/2.0.0/coverage')).toBe(2);
  });

  it('escapes what a gate target answers, so it cannot ping the channel', async () => {
    await start('2.0.0');
    target.answer('/web/2.0.0/tests', { body: JSON.stringify({ run: { status: '<!channel> <https://evil.example|click>' } }) });
    const { message } = await h.ask(alice, '/promote web 2.0.0 to staging', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('blocked'));
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/Blocked: tests failed/));
    const everything = [h.fake.refreshed(message), ...h.fake.thread(message)].map(textOf).join('\n');
    expect(everything).toContain('&lt;!channel&gt;');
    expect(everything).not.toContain('<!channel>');
    expect(everything).not.toContain('<https://evil.example');
  });

  it('waits for a soak in the previous environment, showing progress, then passes', async () => {
    target = await new FakeGateTarget().start();
    const soakConfig = (url: string, prefix: string) =>
      standardConfig(url, prefix)
        .replace('    from: staging\n', '    from: staging\n    gates: [soak]\n')
        .concat('\ngates:\n  soak: { type: soak, in: staging, at_least: 3s, without_alerts: true }\n');
    h = await startShipgate({ config: soakConfig });
    await h.bring('2.0.0', 'staging');
    const { message } = await h.ask(alice, '/promote web 2.0.0 to production', 'C0PROD');
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/:hourglass_flowing_sand: \*soak\*: soaking in staging: \ds of 3s/));
    expect((await h.shipgate.promotion(message)).state).toBe('checking');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('awaiting_approval'), { timeoutMs: 15_000 });
    expect((await h.shipgate.promotion(message)).gates!.results.soak).toMatchObject({ status: 'passed', summary: expect.stringMatching(/^soaked \ds in staging \(≥ 3s\), no alerts$/) as string });
  });

  it('retries an erroring gate as often as its retries allow, and passes when the target recovers', async () => {
    target = await new FakeGateTarget().start();
    target.answer('/web/2.0.0/tests', { status: 503, body: 'warming up' }, REPORTS.testsPassed).answer('/web/2.0.0/coverage', REPORTS.coverage(90)).answer('/web/2.0.0/junit.xml', REPORTS.junit(0));
    h = await startShipgate({ config: (url, prefix) => gatedConfig(target)(url, prefix).replace('equals: passed }, timeout: 2s }', 'equals: passed }, timeout: 2s, retries: 1 }') });
    await h.bring('2.0.0', 'development');
    const { message } = await h.ask(alice, '/promote web 2.0.0 to staging', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('awaiting_approval'), { timeoutMs: 15_000 });
    expect(target.countOf('/web/2.0.0/tests')).toBe(2);
    expect((await h.shipgate.promotion(message)).gates!.results.tests!.status).toBe('passed');
  });

  it('shows an unreachable target as an error, distinct from a failure', async () => {
    await start('2.0.0');
    target.answer('/web/2.0.0/tests', { status: 503, body: 'maintenance' });
    const { message } = await h.ask(alice, '/promote web 2.0.0 to staging', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('blocked'));
    const results = (await h.shipgate.promotion(message)).gates!.results;
    expect(results.tests).toMatchObject({ status: 'error', summary: 'the target answered 503' });
    expect(results.coverage!.status).toBe('passed');
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/:warning: \*tests\*: error: the target answered 503/));
    expect((await h.shipgate.auditEntries()).some((e) => e.type === 'gate_error' && e.detail.gate === 'tests')).toBe(true);
  });

  it('never runs the same gate of the same promotion twice at once, with two workers and a repeated request', async () => {
    await start('2.0.0');
    await h.shipgate.startWorker();
    const { message } = await h.ask(alice, '/promote web 2.0.0 to staging', 'C0DEPLOYS');
    const p = await h.shipgate.promotion(message);
    // The same run queued again, as a retried commit would: same job ids, nothing new runs.
    const { BullJobs } = await import('../../src/queue/bull-jobs.js');
    const { createQueues } = await import('../../src/queue/queues.js');
    const queues = createQueues(h.shipgate.redis, h.shipgate.prefix);
    await new BullJobs(queues, h.shipgate.runtimeOptions.config.config, h.shipgate.clock).runGates(p, 1);
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('awaiting_approval'));
    await sleep(500);
    for (const path of ['/web/2.0.0/tests', '/web/2.0.0/coverage', '/web/2.0.0/junit.xml']) {
      expect(target.countOf(path)).toBe(1);
      expect(target.maxInFlight.get(path)).toBe(1);
    }
    await queues.gates.close();
    await queues.flows.close();
    await queues.deploy.close();
    await queues.slack.close();
  });

  it('settles the run even when every gate job fails outright (each child has a failure policy)', async () => {
    await start('2.0.0');
    const { Queue } = await import('bullmq');
    const gates = new Queue('gates', { connection: h.shipgate.redis, prefix: h.shipgate.prefix });
    await gates.pause();
    const { message } = await h.ask(alice, '/promote web 2.0.0 to staging', 'C0DEPLOYS');
    const id = (await h.shipgate.promotion(message)).id;
    const progress = h.shipgate.keys.gateProgress(id);
    await h.shipgate.redis.set(progress, 'not a hash'); // every child now throws when it reports its verdict
    await gates.resume();
    await eventually(async () => expect(await gates.getJobCountByTypes('failed')).toBe(3), { timeoutMs: 15_000 });
    await h.shipgate.redis.del(progress);
    await eventually(async () => expect((await h.shipgate.promotion(id)).state).toBe('blocked'), { timeoutMs: 15_000 });
    const results = (await h.shipgate.promotion(id)).gates!.results;
    // Each says why its job gave up, as BullMQ kept it for the parent.
    expect(Object.values(results).map((r) => r.status)).toEqual(['error', 'error', 'error']);
    for (const r of Object.values(results)) expect(r.summary).toMatch(/^the gate did not finish \(its job failed: WRONGTYPE/);
    const audited = (await h.shipgate.auditEntries()).filter((e) => e.promotion === id && e.type === 'gate_error');
    expect(audited.map((e) => e.detail.gate).sort()).toEqual(Object.keys(results).sort());
    await gates.close();
  });

  it('finishes the gates of a worker killed mid-gate on another worker', async () => {
    await start('2.0.0', { noWorker: true });
    target.answer('/web/2.0.0/coverage', 'hang', REPORTS.coverage(90));
    const doomed = h.shipgate.spawnWorker();
    try {
      await h.bring('2.0.0', 'development');
      // Kill the worker as soon as the gate hangs; its message may still wait for the channel's rate (a child worker writes at Slack's real rate).
      const posted = h.fake.topLevelIn('C0DEPLOYS').length;
      await h.slack.command(alice, '/promote web 2.0.0 to staging');
      await eventually(() => expect(target.countOf('/web/2.0.0/coverage')).toBe(1), { timeoutMs: 20_000 });
      doomed.kill('SIGKILL');
      await doomed.exited;
      await h.shipgate.startWorker();
      const message = await eventually(() => h.fake.topLevelIn('C0DEPLOYS')[posted] ?? Promise.reject(new Error('no promotion message yet')));
      await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('awaiting_approval'), { timeoutMs: 20_000 });
      const results = (await h.shipgate.promotion(message)).gates!.results;
      expect(results.coverage).toMatchObject({ status: 'passed', summary: 'coverage 90% ≥ 80%' });
      expect(target.countOf('/web/2.0.0/coverage')).toBe(2);
      expect((await h.shipgate.auditEntries()).filter((e) => e.type === 'gate_passed')).toHaveLength(3);
    } finally {
      doomed.kill('SIGKILL');
    }
  });
});
