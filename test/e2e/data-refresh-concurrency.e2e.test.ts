import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Refresh } from '../../src/domain/refresh.js';
import { refreshMessage } from '../../src/slack/views/refresh-message.js';
import { buttonsOf, type SlackMessage } from '../support/fake-slack.js';
import { FakeGateTarget } from '../support/fake-gate-target.js';
import { eventually, sleep } from '../support/eventually.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, rita, raj } = PEOPLE;

function config(samples: FakeGateTarget) {
  return (deployUrl: string, prefix: string) =>
    standardConfig(
      deployUrl,
      prefix,
      `datasets:
  customers:
    from: [production]
    to: [staging]
    approvers: [S0REL]
    masking: customers-v2
    executor: copy
    sample: { url: "${samples.url}/samples/{refresh}.jsonl" }
`,
    ).replace('executors:\n', `executors:\n  copy: { type: webhook, url: "${deployUrl}", secret: "\${DEPLOY_SECRET}", timeout: 2s, poll_every: 50ms }\n`);
}

async function refreshOf(h: Harness, id: string): Promise<Refresh> {
  return JSON.parse((await h.shipgate.redis.hget(h.shipgate.keys.refresh(id), 'json'))!) as Refresh;
}

describe('a data refresh under concurrency', () => {
  let samples: FakeGateTarget;
  let h: Harness;
  beforeAll(async () => {
    samples = await new FakeGateTarget().start();
  });
  afterEach(async () => h?.close());
  afterAll(async () => samples.close());

  it('copies once however many approvals race, Slack retries, receivers and workers there are', async () => {
    h = await startShipgate({ config: config(samples), replicas: 1 });
    await h.shipgate.startWorker();
    h.deployTarget.asynchronous = true;
    const { message } = await h.ask(alice, '/promote refresh customers from production to staging', 'C0DEPLOYS');
    const asked = await refreshOf(h, buttonsOf(message)[0]!.value);
    samples.answer(`/samples/${asked.id}.jsonl`, { body: '{"id":1,"name":"masked"}' });

    // Two approvers at once, each clicking twice, on both receivers, one as a Slack retry.
    const [first, second] = h.shipgate.receivers;
    await Promise.all([
      h.slack.click(rita, message, 'Approve', { url: first }),
      h.slack.click(raj, message, 'Approve', { url: second }),
      h.slack.click(rita, message, 'Approve', { url: second, retryNum: 1 }),
      h.slack.click(raj, message, 'Approve', { url: first }),
    ]);
    await eventually(() => expect(h.deployTarget.deployments.get(asked.id)?.polls ?? 0).toBeGreaterThan(2));
    const copying = await refreshOf(h, asked.id);
    expect(copying.state).toBe('copying');
    expect(copying.approvals).toHaveLength(1);
    expect(copying.copy?.handle).toMatch(/status/);

    h.deployTarget.deployments.get(asked.id)!.state = 'succeeded';
    await eventually(async () => expect((await refreshOf(h, asked.id)).state).toBe('completed'));
    // Let any straggling job run out before counting.
    await sleep(300);

    const copies = h.deployTarget.calls.filter((c) => (c.body as unknown as { kind: string }).kind === 'data-refresh');
    expect(copies).toHaveLength(1);
    expect(h.deployTarget.deployments.size).toBe(1);
    expect(samples.countOf(`/samples/${asked.id}.jsonl`)).toBe(1);
    const log = (await h.shipgate.redis.lrange(h.shipgate.keys.auditLog('data-movement/customers'), 0, -1)).map((e) => JSON.parse(e) as { type: string });
    expect(log.filter((e) => e.type === 'refresh_approved')).toHaveLength(1);
    expect(log.filter((e) => e.type === 'refresh_copy_started')).toHaveLength(1);
    expect(log.filter((e) => e.type === 'refresh_completed')).toHaveLength(1);
    expect(await h.shipgate.audit.verify()).toMatchObject({ ok: true });
  });

  it('finishes an approved refresh whose follow-up work was lost, once a worker sweeps', async () => {
    h = await startShipgate({ config: config(samples), noWorker: true });
    await h.slack.command(alice, '/promote refresh customers from production to staging');
    const id = await eventually(async () => {
      const [first] = await h.shipgate.redis.zrange(h.shipgate.keys.refreshes, 0, 0);
      expect(first).toBeDefined();
      return first!;
    });
    samples.answer(`/samples/${id}.jsonl`, { body: '{"id":1,"name":"masked"}' });
    // No worker has posted the message yet: click on the message as Slack would deliver it (only the value counts).
    const asked = await refreshOf(h, id);
    const unposted: SlackMessage = { channel: asked.message.channel, ts: '1.000001', ...(refreshMessage(asked) as Omit<SlackMessage, 'channel' | 'ts'>) };
    await h.slack.click(raj, unposted, 'Approve');
    await eventually(async () => expect((await refreshOf(h, id)).state).toBe('copying'));

    // The committed follow-ups (render, copy) are lost before any relay reads them.
    await h.shipgate.redis.del(h.shipgate.keys.outbox);
    await h.shipgate.startWorker();

    await eventually(async () => expect((await refreshOf(h, id)).state).toBe('completed'));
    const copies = h.deployTarget.calls.filter((c) => (c.body as unknown as { refresh_id: string }).refresh_id === id);
    expect(copies).toHaveLength(1);
    await eventually(async () => expect((await refreshOf(h, id)).message.ts).not.toBeNull());
    expect(await h.shipgate.redis.zcard(h.shipgate.keys.refreshesActive)).toBe(0);
  });
});
