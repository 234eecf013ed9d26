import { afterEach, describe, expect, it } from 'vitest';
import { startWorker, type Running } from '../../src/runtime.js';
import { alertingConfig, genericHeaders } from '../support/alerting.js';
import { eventually, sleep } from '../support/eventually.js';
import { textOf, type Fault, type SlackMessage } from '../support/fake-slack.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice } = PEOPLE;

/** The first promotion message (not a thread reply) posted in C0DEPLOYS. */
const firstPostInDeploys = (args: Record<string, unknown>) => args.channel === 'C0DEPLOYS' && !args.thread_ts;
const aThreadReply = (args: Record<string, unknown>) => Boolean(args.thread_ts);

/** Promotes web 1.0.0 to development (no approvals) and waits until the message Shipgate keeps says Deployed, with its notes. */
async function deployToDevelopment(h: Harness): Promise<SlackMessage> {
  await h.slack.command(alice, '/promote web 1.0.0 to development');
  const message = await eventually(async () => {
    const { ts } = (await h.shipgate.promotion('sg-1')).message;
    const kept = h.fake.messages.find((m) => m.channel === 'C0DEPLOYS' && m.ts === ts);
    if (!kept) throw new Error('the promotion has no message yet');
    expect(textOf(kept)).toContain('Deployed');
    return kept;
  });
  await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toContain('Deployed web to 1.0.0 in development.'));
  await sleep(500); // time for a duplicate post, were there one
  return message;
}

function expectOneMessageWithItsNotes(h: Harness, message: SlackMessage) {
  expect(h.fake.topLevelIn('C0DEPLOYS')).toHaveLength(1);
  expect(h.fake.thread(message).map((m) => m.text)).toEqual(['Deploying web 1.0.0 to development…', 'Deployed web to 1.0.0 in development.']);
  expect(message.metadata).toEqual({ event_type: 'shipgate_promotion', event_payload: { promotion_id: 'sg-1' } });
}

describe('Slack failures never duplicate a message', () => {
  let h: Harness;
  afterEach(async () => h.close());

  const lostAnswers: [string, Fault][] = [
    ['Slack posts the message, then answers 500', { kind: 'error', status: 500, handled: true }],
    ['Slack posts the message, then the connection drops', { kind: 'drop', handled: true }],
  ];
  for (const [story, fault] of lostAnswers) {
    it(`posts the promotion message once when ${story}`, async () => {
      h = await startShipgate();
      h.fake.inject('chat.postMessage', fault, { when: firstPostInDeploys });
      const message = await deployToDevelopment(h);
      expectOneMessageWithItsNotes(h, message);
      // The retry looked for the lost post by its metadata instead of posting again.
      expect(h.fake.callsTo('conversations.history')[0]!.args).toMatchObject({ channel: 'C0DEPLOYS', include_all_metadata: 'true' });
      expect(h.fake.callsTo('chat.postMessage').filter((c) => firstPostInDeploys(c.args))).toHaveLength(1);
    });
  }

  it('posts a thread note once when Slack posts it but answers 503', async () => {
    h = await startShipgate();
    h.fake.inject('chat.postMessage', { kind: 'error', status: 503, handled: true }, { when: aThreadReply });
    const message = await deployToDevelopment(h);
    expectOneMessageWithItsNotes(h, message);
    expect(h.fake.callsTo('conversations.replies')[0]!.args).toMatchObject({ channel: 'C0DEPLOYS', ts: message.ts, include_all_metadata: 'true' });
  });

  it('gives up on a call Slack never answers, and finds the message it did post', async () => {
    h = await startShipgate({ noWorker: true });
    const options = h.shipgate.runtimeOptions;
    const worker: Running = await startWorker({ ...options, slack: { ...options.slack, timeoutMs: 500 } });
    try {
      h.fake.inject('chat.postMessage', { kind: 'hang', handled: true }, { when: firstPostInDeploys });
      const message = await deployToDevelopment(h);
      expectOneMessageWithItsNotes(h, message);
    } finally {
      await worker.close();
    }
  });

  it('waits out a 429 and posts once, while other channels go on', async () => {
    const twoChannels = (url: string, prefix: string) => standardConfig(url, prefix).replace('  development: {}', '  development: {}\n  sandbox: { channel: C0SANDBOX }');
    h = await startShipgate({ config: twoChannels });
    // Longer than the harness waits for a message: a client that stalls every call during a 429 fails here.
    h.fake.inject('chat.postMessage', { kind: 'rate-limited', retryAfter: 12 }, { when: firstPostInDeploys });
    await h.slack.command(alice, '/promote web 1.0.0 to development');
    await eventually(() => expect(h.fake.callsTo('chat.postMessage').filter((c) => firstPostInDeploys(c.args))).toHaveLength(1));
    await h.slack.command(alice, '/promote web 1.0.0 to sandbox');
    await eventually(() => expect(textOf(h.fake.lastMessageIn('C0SANDBOX'))).toContain('Deployed'));
    expect(h.fake.topLevelIn('C0DEPLOYS')).toHaveLength(0); // still waiting out Retry-After

    const message = await eventually(() => h.fake.lastMessageIn('C0DEPLOYS'), { timeoutMs: 30_000 });
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toContain('Deployed'));
    await eventually(() => expect(h.fake.thread(message)).toHaveLength(2));
    expect(h.fake.topLevelIn('C0DEPLOYS')).toHaveLength(1);
    // Told to wait, nothing asked Slack for C0DEPLOYS's history: a 429 means nothing was posted.
    expect(h.fake.callsTo('conversations.history')).toHaveLength(0);
  }, 60_000);

  it('posts an alert once when Slack posts it but the answer is lost', async () => {
    h = await startShipgate({ config: alertingConfig() });
    h.fake.inject('chat.postMessage', { kind: 'error', status: 502, handled: true }, { when: (args) => args.channel === 'C0PROD' });
    const body = JSON.stringify({ app: 'web', environment: 'production', title: 'Checkout errors above 5%', severity: 'critical', status: 'firing', id: 'checkout-errors' });
    const answer = await fetch(`${h.shipgate.receivers[0]}/alerts/generic`, { method: 'POST', headers: genericHeaders(body), body });
    expect(answer.status).toBe(200);
    const [key] = await h.shipgate.redis.keys(`${h.shipgate.prefix}:alert:*`);
    const stored = await eventually(async () => {
      const record = JSON.parse((await h.shipgate.redis.hget(key!, 'json')) ?? '{}') as { message?: { ts: string | null } };
      if (!record.message?.ts) throw new Error('the alert has no message yet');
      return record.message.ts;
    });
    await sleep(500); // time for a duplicate post, were there one
    expect(h.fake.topLevelIn('C0PROD')).toHaveLength(1);
    const alert = h.fake.lastMessageIn('C0PROD');
    expect(alert.ts).toBe(stored);
    expect(textOf(alert)).toContain('Checkout errors above 5%');
    expect(alert.metadata?.event_type).toBe('shipgate_alert');
  });
});

describe('thread notes', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('keep the order of the facts when the first note is slow to post', async () => {
    h = await startShipgate();
    // Each note is its own job: were they posted independently, "Deployed" would come first.
    h.fake.inject('chat.postMessage', { kind: 'delay', ms: 1_500 }, { when: (args) => aThreadReply(args) && String(args.text).startsWith('Deploying') });
    const message = await deployToDevelopment(h);
    await eventually(() => expect(h.fake.thread(message)).toHaveLength(2));
    expect(h.fake.thread(message).map((m) => m.text)).toEqual(['Deploying web 1.0.0 to development…', 'Deployed web to 1.0.0 in development.']);
    expect(h.fake.thread(message).map((m) => m.metadata?.event_payload.note)).toEqual([1, 2]);
  });
});
