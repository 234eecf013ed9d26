import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { buttonsOf, textOf, type SlackMessage } from '../support/fake-slack.js';
import { ARGOCD_TOKEN, FakeArgoCd } from '../support/fakes/argocd.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, lead, mallory } = PEOPLE;
const APPLICATION = 'web-development';

/**
 * Development deploys through Argo CD and is checked for drift every second (its own
 * interval; the default of one hour would never check within a test). Lead approves and
 * rolls back development; staging takes versions from development.
 */
const config = (argoUrl: string) => (_deployUrl: string, prefix: string) => `
slack: { channel: C0DEPLOYS, usergroup_cache: 1s }
apps:
  web: { executor: argo }
environments:
  development:
    approvals: { required: 0, approvers: [${lead}] }
    rollback: { approvals: { required: 0, approvers: [${lead}] } }
    drift: { interval: 1s }
  staging:
    from: development
    approvals: { required: 1, approvers: [${lead}] }
executors:
  argo:
    type: argocd
    url: "${argoUrl}"
    token: "\${ARGOCD_TOKEN}"
    application: "{app}-{environment}"
    revision: "v{version}"
    poll_every: 100ms
    timeout: 15m
drift: { interval: 1h }
queue: { prefix: "${prefix}", lock_duration: 2s, stalled_interval: 1s }
`;

describe('drift: what runs differs from what Shipgate deployed', () => {
  let h: Harness;
  let argo: FakeArgoCd;

  beforeEach(async () => {
    argo = await new FakeArgoCd().start();
    argo.addApplication(APPLICATION, { repoURL: 'https://git.example.com/deploy.git', path: 'web', targetRevision: 'v0.9.0' });
    argo.addApplication('web-staging', { repoURL: 'https://git.example.com/deploy.git', path: 'web', targetRevision: 'v0.9.0' });
    h = await startShipgate({ config: config(argo.url), env: { ARGOCD_TOKEN } });
    // Shipgate deploys 1.0.0 to development; then someone syncs 1.1.0 by hand.
    await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(() => expect(argo.syncCalls(APPLICATION)).toHaveLength(1));
    argo.finish(APPLICATION);
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.0.0'));
  });

  afterEach(async () => {
    await h.close();
    await argo.close();
  });

  const driftMessages = () => h.fake.topLevelIn('C0DEPLOYS').filter((m) => /Drift/.test(m.text));
  const looks = () => argo.calls.filter((c) => c.method === 'GET' && c.path === `/api/v1/applications/${APPLICATION}`).length;

  /** Waits until the drift check has looked at the application N more times. */
  async function checksPass(n: number) {
    const before = looks();
    await eventually(() => expect(looks()).toBeGreaterThanOrEqual(before + n), { timeoutMs: 15_000 });
  }

  async function driftDetected(): Promise<SlackMessage> {
    argo.deployOutOfBand(APPLICATION, 'v1.1.0');
    return eventually(() => {
      expect(driftMessages()).toHaveLength(1);
      return driftMessages()[0]!;
    });
  }

  async function replyTo(user: string, act: () => Promise<unknown>): Promise<string> {
    const before = h.fake.responses.filter((r) => r.user === user).length;
    await act();
    return eventually(() => {
      const replies = h.fake.responses.filter((r) => r.user === user);
      expect(replies.length).toBeGreaterThan(before);
      return replies.at(-1)!.body.text ?? '';
    });
  }

  async function metric(name: string): Promise<string> {
    return (await h.shipgate.runtimeOptions.metrics!.registry.getSingleMetricAsString(name)) ?? '';
  }

  it('posts one message with what runs, what Shipgate deployed and both buttons, keeps it one across checks, and counts it', async () => {
    await checksPass(2);
    expect(driftMessages()).toHaveLength(0);

    const message = await driftDetected();
    const text = textOf(message);
    expect(text).toMatch(/Runs now:\* 1\.1\.0/);
    expect(text).toMatch(/Shipgate deployed:\* 1\.0\.0/);
    expect(text).toMatch(/Last seen in sync:\* <!date/);
    expect(buttonsOf(message).map((b) => b.label)).toEqual(['Adopt 1.1.0', 'Roll back to 1.0.0']);

    await checksPass(3);
    expect(driftMessages()).toHaveLength(1);
    const detected = (await h.shipgate.auditEntriesOf('web', 'development')).filter((e) => e.type === 'drift_detected');
    expect(detected).toHaveLength(1);
    expect(await metric('shipgate_drift_detected_total')).toMatch(/shipgate_drift_detected_total\{app="web",environment="development"\} 1/);
    expect(await metric('shipgate_drift_detection_seconds')).toMatch(/shipgate_drift_detection_seconds_count\{app="web",environment="development"\} 1/);
  });

  it('lets an approver adopt what runs, and not a stranger: the ledger changes, audited, and the message says so', async () => {
    const message = await driftDetected();

    expect(await replyTo(mallory, () => h.slack.click(mallory, message, 'Adopt'))).toMatch(/Only <@U0LEAD> can adopt what runs in development/);
    expect(await h.shipgate.live('web', 'development')).toBe('1.0.0');

    expect(await replyTo(lead, () => h.slack.click(lead, message, 'Adopt'))).toMatch(/Adopted web 1\.1\.0 in development/);
    expect(await h.shipgate.live('web', 'development')).toBe('1.1.0');
    expect((await h.shipgate.history('web', 'development'))[0]).toMatchObject({ version: '1.1.0', promotionId: `adopted-by-${lead}` });
    const facts = (await h.shipgate.auditEntriesOf('web', 'development')).map((e) => [e.type, e.actor]);
    expect(facts).toContainEqual(['drift_adopt_refused', mallory]);
    expect(facts).toContainEqual(['drift_adopted', lead]);
    expect((await h.shipgate.audit.verify()).ok).toBe(true);

    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Adopted\* by <@U0LEAD>/));
    expect(buttonsOf(h.fake.refreshed(message))).toEqual([]);
    await checksPass(2);
    expect(driftMessages()).toHaveLength(1);
  });

  it('rolls back to what Shipgate deployed: the executor receives the re-deploy, and the drift resolves', async () => {
    const message = await driftDetected();
    expect(await replyTo(lead, () => h.slack.click(lead, message, 'Roll back'))).toMatch(/Deploying the rollback of web in development to 1\.0\.0/);
    await eventually(() => expect(argo.syncCalls(APPLICATION)).toHaveLength(2));
    expect(argo.apps.get(APPLICATION)!.spec.source.targetRevision).toBe('v1.0.0');
    argo.finish(APPLICATION);

    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Rolled back\* to 1\.0\.0 by sg-2/));
    expect(buttonsOf(h.fake.refreshed(message))).toEqual([]);
    const rollback = await h.shipgate.promotion('sg-2');
    expect(rollback).toMatchObject({ kind: 'rollback', version: '1.0.0', previousVersion: '1.1.0', state: 'deployed' });
    // The out-of-band version was undone, not judged: it is not marked bad.
    expect((await h.shipgate.store.bad('web', 'development')).size).toBe(0);
    expect((await h.shipgate.auditEntriesOf('web', 'development')).map((e) => e.type)).toContain('drift_resolved');
    expect(driftMessages()).toHaveLength(1);
  });

  it('refuses a promotion out of a drifted environment, naming the drift and both ways out', async () => {
    await driftDetected();
    const reply = await replyTo(alice, () => h.slack.command(alice, '/promote web 1.0.0 to staging'));
    expect(reply).toMatch(/web in development runs 1\.1\.0, not 1\.0\.0 that Shipgate deployed there/);
    expect(reply).toMatch(/adopt 1\.1\.0/);
    expect(reply).toMatch(/\/promote rollback web development to 1\.0\.0/);
    expect(await h.shipgate.promotionCount()).toBe(1);
  });

  it('blocks a promotion asked before the drift when its deployment would start, since the path rule no longer holds', async () => {
    const { message } = await h.ask(alice, '/promote web 1.0.0 to staging', 'C0DEPLOYS');
    await driftDetected();
    await h.slack.click(lead, message, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('blocked'));
    expect((await h.shipgate.promotion(message)).blockedReason).toMatch(/development has drifted: it runs 1\.1\.0/);
    expect(argo.syncCalls('web-staging')).toHaveLength(0);
  });
});
