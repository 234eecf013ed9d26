import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Refresh } from '../../src/domain/refresh.js';
import type { AuditEntry } from '../../src/store/audit-chain.js';
import { dataMovementChain } from '../../src/store/data-movement-chain.js';
import { buttonsOf, textOf, type SlackMessage } from '../support/fake-slack.js';
import { FakeGateTarget } from '../support/fake-gate-target.js';
import { eventually } from '../support/eventually.js';
import { replyTo } from '../support/reply-to.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, rita, raj, mallory, lead } = PEOPLE;

const CLEAN = ['{"id":1,"name":"Customer 1","email":"xxxx-masked-1"}', '{"id":2,"name":"Customer 2","city":"Springfield"}'].join('\n');
// What an unmasked copy looks like: a real-looking address and phone number.
const LEAKED = ['{"id":1,"email":"jane.doe@gmail.com","phone":"+44 20 7946 0958"}', '{"id":2,"name":"masked"}'].join('\n');

/**
 * The standard path plus a dataset: customers may go from production into staging (not
 * development), approved by one production approver (S0REL), copied by a webhook, its
 * sample read from the sample server. `sample: false` leaves the sample to the copy target.
 */
function refreshConfig(samples: FakeGateTarget, options: { sample?: boolean } = {}) {
  return (deployUrl: string, prefix: string) => {
    const sample = options.sample === false ? '' : `\n    sample: { url: "${samples.url}/samples/{dataset}/{environment}.jsonl", retries: 0, timeout: 2s }`;
    return standardConfig(
      deployUrl,
      prefix,
      `datasets:
  customers:
    from: [production]
    to: [staging]
    approvers: [S0REL]
    required: 1
    masking: customers-v2
    executor: copy${sample}
`,
    ).replace('executors:\n', `executors:\n  copy: { type: webhook, url: "${deployUrl}", secret: "\${DEPLOY_SECRET}", timeout: 2s, attempts: 2, backoff: 50ms, poll_every: 50ms }\n`);
  };
}

const copyCalls = (h: Harness) => h.deployTarget.calls.filter((c) => (c.body as unknown as { kind: string }).kind === 'data-refresh');
const copyBody = (h: Harness, i = 0) => copyCalls(h)[i]!.body as unknown as Record<string, unknown>;

async function refreshOf(h: Harness, message: SlackMessage): Promise<Refresh> {
  const id = buttonsOf(h.fake.refreshed(message))[0]?.value ?? /refresh (rf-\d+)/.exec(textOf(h.fake.refreshed(message)))?.[1];
  const json = await h.shipgate.redis.hget(h.shipgate.keys.refresh(id!), 'json');
  return JSON.parse(json!) as Refresh;
}

async function movements(h: Harness): Promise<AuditEntry[]> {
  return (await h.shipgate.redis.lrange(h.shipgate.keys.auditLog(dataMovementChain('customers')), 0, -1)).map((e) => JSON.parse(e) as AuditEntry);
}

async function flags(h: Harness): Promise<Record<string, string>> {
  return h.shipgate.redis.hgetall(h.shipgate.keys.refreshFlags);
}

describe('data refreshes between environments', () => {
  let samples: FakeGateTarget;
  let h: Harness;
  beforeAll(async () => {
    samples = await new FakeGateTarget().start();
  });
  afterEach(async () => h?.close());
  afterAll(async () => samples.close());

  it('copies a dataset once its approver agrees, proves the masking, and leaves every step on the data-movement log', async () => {
    samples.answer('/samples/customers/staging.jsonl', { body: CLEAN, type: 'application/x-ndjson' });
    h = await startShipgate({ config: refreshConfig(samples) });

    const { ack, message } = await h.ask(rita, '/promote refresh customers from production to staging weekly refresh', 'C0DEPLOYS');
    expect(ack.status).toBe(200);
    expect(textOf(message)).toMatch(/Data refresh: customers from production to staging/);
    expect(textOf(message)).toMatch(/Masking profile:\* customers-v2/);
    expect(buttonsOf(message).map((b) => b.label)).toEqual(['Approve', 'Reject']);
    const asked = await refreshOf(h, message);
    expect(asked).toMatchObject({ state: 'awaiting_approval', dataset: 'customers', from: 'production', to: 'staging', masking: 'customers-v2', requester: rita });

    // Nobody outside the dataset's approvers, and not the requester, may approve.
    await h.slack.click(mallory, message, 'Approve');
    await eventually(() => expect(h.fake.responses.filter((r) => r.user === mallory).at(-1)?.body.text).toMatch(/Only <!subteam\^S0REL> can approve a refresh of customers/));
    await h.slack.click(rita, message, 'Approve');
    await eventually(() => expect(h.fake.responses.filter((r) => r.user === rita).at(-1)?.body.text).toMatch(/You asked for this refresh; someone else must approve it/));
    expect(copyCalls(h)).toHaveLength(0);
    expect((await refreshOf(h, message)).approvals).toEqual([]);

    await h.slack.click(raj, message, 'Approve');
    await eventually(async () => expect(await refreshOf(h, message)).toMatchObject({ failure: null, state: 'completed' }));

    // What the copy executor received: one signed call, keyed by the refresh.
    expect(copyCalls(h)).toHaveLength(1);
    expect(copyBody(h)).toEqual({
      kind: 'data-refresh',
      refresh_id: asked.id,
      dataset: 'customers',
      source_environment: 'production',
      target_environment: 'staging',
      masking_profile: 'customers-v2',
      requested_by: rita,
      approved_by: [raj],
      reason: 'weekly refresh',
    });
    expect(copyCalls(h)[0]!.headers['idempotency-key']).toBe(asked.id);
    expect(samples.countOf('/samples/customers/staging.jsonl')).toBe(1);

    const done = await refreshOf(h, message);
    expect(done.scan).toMatchObject({ passed: true, records: 2, counts: { email: 0, phone: 0, iban: 0, credit_card: 0 } });
    expect(await flags(h)).toEqual({});
    expect(await h.shipgate.redis.hget(h.shipgate.keys.refreshSlot('customers', 'staging'), 'id')).toBeNull();
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Completed: the masking check passed/));
    expect(buttonsOf(h.fake.refreshed(message))).toEqual([]);
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/customers refreshed from production to staging; the masking check passed/));

    // A refresh changes no environment's live version and calls no deployment.
    expect(h.deployTarget.calls.filter((c) => c.body.kind !== ('data-refresh' as never))).toHaveLength(0);
    for (const env of ['development', 'staging', 'production']) expect(await h.shipgate.live('web', env)).toBeNull();

    const log = await movements(h);
    expect(log.map((e) => [e.type, e.actor])).toEqual([
      ['refresh_requested', rita],
      ['refresh_approve_refused', mallory],
      ['refresh_approve_refused', rita],
      ['refresh_approved', raj],
      ['refresh_copy_started', 'shipgate'],
      ['refresh_copied', 'shipgate'],
      ['refresh_completed', 'shipgate'],
    ]);
    for (const entry of log) expect(entry.detail).toMatchObject({ refresh: asked.id, dataset: 'customers', source: 'production', target: 'staging', masking: 'customers-v2', requested_by: rita });
    expect(log.at(-1)!.detail).toMatchObject({ approved_by: raj, records: 2, email: 0, phone: 0, iban: 0, credit_card: 0 });
    expect(log.every((e) => e.chain === 'data-movement/customers' && e.environment === 'staging')).toBe(true);
    expect(await h.shipgate.audit.verify()).toMatchObject({ ok: true });
  });

  it('fails a copy whose sample holds personal data, flags the target where people look, and clears the flag with a clean refresh', async () => {
    samples.answer('/samples/customers/staging.jsonl', { body: LEAKED }, { body: CLEAN });
    h = await startShipgate({ config: refreshConfig(samples) });

    const { message } = await h.ask(alice, '/promote refresh customers from production to staging', 'C0DEPLOYS');
    await h.slack.click(rita, message, 'Approve');
    await eventually(async () => expect((await refreshOf(h, message)).state).toBe('failed'));

    const failed = await refreshOf(h, message);
    expect(failed.failure).toMatch(/the masking check failed: personal data found in 2 records: 1 email, 1 phone/);
    expect(failed.scan).toMatchObject({ passed: false, counts: { email: 1, phone: 1 } });
    const flag = JSON.parse((await flags(h))['staging/customers']!) as Record<string, unknown>;
    expect(flag).toMatchObject({ environment: 'staging', dataset: 'customers', refreshId: failed.id });

    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/FAILED[\s\S]*staging is flagged\*: its customers data is not known to be masked/));
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/FAILED: the masking check failed.*staging is flagged/));
    expect(await replyTo(h, alice, '/promote status')).toMatch(/:warning: staging flagged: its customers data may not be masked \(refresh rf-1 failed/);
    // The values found never reach the record, the message or the log: only counts.
    expect(JSON.stringify(failed) + textOf(h.fake.refreshed(message))).not.toMatch(/jane\.doe|7946/);

    const failedEntry = (await movements(h)).find((e) => e.type === 'refresh_scan_failed')!;
    expect(failedEntry.detail).toMatchObject({ approved_by: rita, records: 2, email: 1, phone: 1, iban: 0, credit_card: 0 });
    expect(JSON.stringify(await movements(h))).not.toMatch(/jane\.doe/);

    // A clean copy of the same dataset into the same environment lifts the flag.
    const again = await h.ask(alice, '/promote refresh customers from production to staging', 'C0DEPLOYS');
    await h.slack.click(raj, again.message, 'Approve');
    await eventually(async () => expect((await refreshOf(h, again.message)).state).toBe('completed'));
    expect(await flags(h)).toEqual({});
    expect(await replyTo(h, alice, '/promote status')).not.toMatch(/flagged/);
    expect(copyCalls(h)).toHaveLength(2);
    expect(await h.shipgate.audit.verify()).toMatchObject({ ok: true });
  });

  it('refuses refreshes into production, from an environment that may not send, into one that may not receive, and a second one in flight', async () => {
    h = await startShipgate({ config: refreshConfig(samples) });

    expect(await replyTo(h, alice, '/promote refresh customers from staging to production')).toMatch(/production holds production data: Shipgate never refreshes data into it/);
    expect(await replyTo(h, alice, '/promote refresh customers from staging to development')).toMatch(/staging is not allowed to send customers; it may be refreshed from production/);
    expect(await replyTo(h, alice, '/promote refresh customers from production to development')).toMatch(/development is not allowed to receive customers; it may be refreshed into staging/);
    expect(await replyTo(h, alice, '/promote refresh orders from production to staging')).toMatch(/There is no dataset called `orders`. Datasets: customers/);
    expect(await replyTo(h, alice, '/promote refresh customers production staging')).toMatch(/Say where the data comes from: `from ENV`/);

    const { message } = await h.ask(alice, '/promote refresh customers from production to staging', 'C0DEPLOYS');
    const first = await refreshOf(h, message);
    expect(await replyTo(h, lead, '/promote refresh customers from production to staging')).toMatch(new RegExp(`already under way \\(${first.id}\\)`));

    // Rejection: only an approver, and it ends the refresh without a copy.
    await h.slack.click(mallory, message, 'Reject');
    await eventually(() => expect(h.fake.responses.filter((r) => r.user === mallory).at(-1)?.body.text).toMatch(/Only <!subteam\^S0REL> can reject/));
    await h.slack.click(raj, message, 'Reject');
    await eventually(async () => expect((await refreshOf(h, message)).state).toBe('rejected'));

    expect(copyCalls(h)).toHaveLength(0);
    expect(h.fake.topLevelIn('C0PROD')).toHaveLength(0);
    expect(await h.shipgate.redis.zcard(h.shipgate.keys.refreshes)).toBe(1);
    const log = await movements(h);
    expect(log.map((e) => [e.type, e.actor, e.detail.target])).toEqual([
      ['refresh_refused', alice, 'production'],
      ['refresh_refused', alice, 'development'],
      ['refresh_refused', alice, 'development'],
      ['refresh_requested', alice, 'staging'],
      ['refresh_reject_refused', mallory, 'staging'],
      ['refresh_rejected', raj, 'staging'],
    ]);
    expect(log.slice(0, 3).map((e) => e.detail.refresh)).toEqual([null, null, null]);
    expect(log.slice(3).every((e) => e.detail.refresh === first.id)).toBe(true);
    expect(await h.shipgate.audit.verify()).toMatchObject({ ok: true });
  });

  it('scans the sample the copy target names when shipgate.yml names none, and fails the refresh when there is no sample at all', async () => {
    samples.answer('/named/sample.jsonl', { body: CLEAN });
    h = await startShipgate({ config: refreshConfig(samples, { sample: false }) });

    // A presigned URL: its query is a credential, used to read the sample but never shown nor logged.
    h.deployTarget.answerNext({ status: 200, body: JSON.stringify({ ok: true, sample_url: `${samples.url}/named/sample.jsonl?sig=PRESIGNED-SECRET` }) });
    const named = await h.ask(alice, '/promote refresh customers from production to staging', 'C0DEPLOYS');
    await h.slack.click(rita, named.message, 'Approve');
    await eventually(async () => expect((await refreshOf(h, named.message)).state).toBe('completed'));
    expect((await refreshOf(h, named.message)).scan).toMatchObject({ passed: true, url: `${samples.url}/named/sample.jsonl`, records: 2 });
    expect(samples.countOf('/named/sample.jsonl')).toBe(1);
    expect(JSON.stringify(await movements(h)) + textOf(h.fake.refreshed(named.message))).not.toContain('PRESIGNED-SECRET');

    const none = await h.ask(alice, '/promote refresh customers from production to staging', 'C0DEPLOYS');
    await h.slack.click(rita, none.message, 'Approve');
    await eventually(async () => expect((await refreshOf(h, none.message)).state).toBe('failed'));
    expect((await refreshOf(h, none.message)).failure).toMatch(/there is no sample of the copy to scan: set datasets.customers.sample.url/);
    expect(Object.keys(await flags(h))).toEqual(['staging/customers']);
  });

  it('fails the refresh and flags the target when the copy target refuses the copy', async () => {
    h = await startShipgate({ config: refreshConfig(samples) });
    h.deployTarget.answerNext({ status: 500, body: 'disk full' }, { status: 500, body: 'disk full' });
    const { message } = await h.ask(alice, '/promote refresh customers from production to staging', 'C0DEPLOYS');
    await h.slack.click(rita, message, 'Approve');
    await eventually(async () => expect((await refreshOf(h, message)).state).toBe('failed'));
    expect((await refreshOf(h, message)).failure).toMatch(/the copy failed: the deploy webhook answered 500: disk full \(after 2 attempts\)/);
    expect(copyCalls(h)).toHaveLength(2);
    expect((await movements(h)).map((e) => e.type)).toContain('refresh_copy_failed');
  });
});
