import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alertingConfig, genericHeaders } from '../support/alerting.js';
import { spawnShipgate } from '../support/child-shipgate.js';
import { eventually } from '../support/eventually.js';
import { PEOPLE, SIGNING_SECRET, startShipgate, type Harness } from '../support/start-shipgate.js';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** A request signed as Slack signs it; SIGNAL bounds how long the client waits for the answer. */
function signed(base: string, body: string, contentType: string, options: { timestamp?: number; signal?: AbortSignal } = {}) {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return fetch(`${base}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature },
    body,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const payload = (value: unknown) => form({ payload: JSON.stringify(value) });
const from = { team: { id: 'T0TEAM', domain: 'test' }, user: { id: PEOPLE.mallory, username: 'mallory', team_id: 'T0TEAM' }, api_app_id: 'A0SHIPGATE', token: 'legacy', trigger_id: 'trigger-1' };
const deeplyNested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('the Slack receiver in a running `shipgate serve`', () => {
  let h: Harness;
  let serve: ReturnType<typeof spawnShipgate>;
  let base: string;

  beforeAll(async () => {
    h = await startShipgate();
    serve = spawnShipgate(['serve'], { ...h.shipgate.cliEnv(), SLACK_SIGNING_SECRET: SIGNING_SECRET, PORT: '0', LOG_LEVEL: 'info' });
    const port = await eventually(() => {
      const line = serve.output().split('\n').find((l) => l.includes('shipgate serve is listening'));
      if (!line) throw new Error(`shipgate serve has not started:\n${serve.output()}`);
      return (JSON.parse(line) as { port: number }).port;
    });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    serve.kill('SIGTERM');
    await serve.exited;
    await h.close();
  });

  it.each([
    ['a form payload that is null', payload(null), FORM],
    ['a JSON body that is null', 'null', JSON_TYPE],
    ['a form payload that is a number', payload(42), FORM],
    ['a form payload that is a string', payload('block_actions'), FORM],
    ['a form payload that is an array', payload([{ type: 'block_actions' }]), FORM],
    ['a form payload that is not JSON', form({ payload: '{"type":' }), FORM],
    ['a form body with neither command nor payload', form({ text: 'web 1.0.0 to staging', user_id: PEOPLE.alice }), FORM],
    ['a JSON body that is a number', '7', JSON_TYPE],
    ['a JSON body that is an array', '[]', JSON_TYPE],
    ['an event that is a string', '{"type":"event_callback","event":"app_home_opened"}', JSON_TYPE],
    ['a JSON body nested a hundred thousand levels deep', deeplyNested(100_000), JSON_TYPE],
    ['an event nested a hundred thousand levels deep', `{"type":"event_callback","event":{"type":"app_home_opened","user":"UALICE","view":${deeplyNested(100_000)}}}`, JSON_TYPE],
  ])('refuses %s with 400 and keeps serving', async (_case, body, contentType) => {
    const answer = await signed(base, body, contentType);
    expect(answer.status).toBe(400);
    expect(serve.exitCode).toBeNull();
    const status = await signed(base, form({ command: '/promote', text: 'help', user_id: PEOPLE.alice, channel_id: 'C0DEPLOYS', team_id: 'T0TEAM', response_url: h.fake.responseUrl(PEOPLE.alice), trigger_id: 't' }), FORM);
    expect(status.status).toBe(200);
    expect(await status.text()).toMatch(/\/promote APP VERSION to ENV/);
  });

  it('still answers Slack’s SSL check without a signature', async () => {
    const answer = await fetch(`${base}/slack/events`, { method: 'POST', headers: { 'content-type': FORM }, body: 'ssl_check=1&token=x' });
    expect(answer.status).toBe(200);
  });
});

describe('the Slack receiver', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startShipgate();
  });
  afterAll(async () => h.close());

  const help = () => form({ command: '/promote', text: 'help', user_id: PEOPLE.alice, channel_id: 'C0DEPLOYS', team_id: 'T0TEAM', response_url: h.fake.responseUrl(PEOPLE.alice), trigger_id: 't' });

  it.each([
    ['six minutes in the future', 6 * 60],
    ['an hour in the future', 3600],
    ['six minutes in the past', -6 * 60],
  ])('refuses a request signed with a timestamp %s', async (_case, offset) => {
    const answer = await signed(h.shipgate.receivers[0]!, help(), FORM, { timestamp: Math.floor(Date.now() / 1000) + offset });
    expect(answer.status).toBe(401);
    expect(await answer.text()).toBe('');
  });

  it('accepts a request signed a minute ahead of its own clock', async () => {
    const answer = await signed(h.shipgate.receivers[0]!, help(), FORM, { timestamp: Math.floor(Date.now() / 1000) + 60 });
    expect(answer.status).toBe(200);
  });

  // Slack gives 3 s; a request no listener handles is answered at once, well before Bolt's own 3 s fallback.
  it.each([
    ['a click on a button Shipgate does not know', payload({ type: 'block_actions', ...from, channel: { id: 'C0DEPLOYS' }, container: { type: 'message', message_ts: '1.1', channel_id: 'C0DEPLOYS' }, actions: [{ type: 'button', action_id: 'no_such_action', block_id: 'b', value: 'x', action_ts: '1' }] })],
    ['a modal submission with an unknown callback id', payload({ type: 'view_submission', ...from, view: { id: 'V1', type: 'modal', callback_id: 'no_such_modal', private_metadata: '', state: { values: {} }, hash: 'h' } })],
    ['a closed modal', payload({ type: 'view_closed', ...from, view: { id: 'V1', type: 'modal', callback_id: 'promote_modal', private_metadata: '', state: { values: {} }, hash: 'h' }, is_cleared: false })],
    ['a global shortcut', payload({ type: 'shortcut', ...from, callback_id: 'no_such_shortcut', action_ts: '1' })],
    ['a message shortcut', payload({ type: 'message_action', ...from, callback_id: 'no_such_shortcut', channel: { id: 'C0DEPLOYS' }, message: { ts: '1.1', text: 'hi' }, message_ts: '1.1', response_url: 'http://127.0.0.1:9/r', action_ts: '1' })],
    ['an options request for a menu', payload({ type: 'block_suggestion', ...from, action_id: 'no_such_menu', block_id: 'b', value: 'we' })],
    ['a slash command Shipgate does not own', form({ command: '/deploy', text: 'x', user_id: PEOPLE.alice, channel_id: 'C0DEPLOYS', team_id: 'T0TEAM', response_url: 'http://127.0.0.1:9/r', trigger_id: 't' })],
  ])('acknowledges %s at once', async (_case, body) => {
    const answer = await signed(h.shipgate.receivers[0]!, body, FORM, { signal: AbortSignal.timeout(1500) });
    expect(answer.status).toBe(200);
  });

  it.each([
    ['a JSON object Bolt cannot classify', { token: 'legacy', team_id: 'T0TEAM', api_app_id: 'A0SHIPGATE', type: 'app_rate_limited', minute_rate_limited: 1 }],
    ['an event no listener handles', { token: 'legacy', team_id: 'T0TEAM', api_app_id: 'A0SHIPGATE', type: 'event_callback', event_id: 'Ev1', event_time: 1, event: { type: 'reaction_added', user: PEOPLE.alice, item: { type: 'message', channel: 'C0DEPLOYS', ts: '1.1' } } }],
  ])('acknowledges %s at once', async (_case, body) => {
    const answer = await signed(h.shipgate.receivers[0]!, JSON.stringify(body), JSON_TYPE, { signal: AbortSignal.timeout(1500) });
    expect(answer.status).toBe(200);
  });
});

/**
 * Sends BODY on AGENT's single kept-alive connection, chunked (no content-length, as a
 * streaming client sends it) or not; gives up after a while instead of waiting forever.
 */
function postOn(agent: Agent, url: string, body: string, headers: Record<string, string>, chunked = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const length = chunked ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = request(url, { method: 'POST', agent, headers: { ...headers, ...length } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.setTimeout(5_000, () => req.destroy(new Error('no answer on the kept-alive connection')));
    req.on('error', reject);
    if (!chunked) return void req.end(body);
    for (let i = 0; i < body.length; i += 64_000) req.write(body.slice(i, i + 64_000));
    req.end();
  });
}

describe('alert webhooks', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it.each([
    ['declared by content-length', false],
    ['sent in chunks', true],
  ])('answers the next request on a kept-alive connection after refusing a body over 1 MB %s', async (_case, chunked) => {
    h = await startShipgate({ config: alertingConfig() });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const url = `${h.shipgate.receivers[0]}/alerts/generic`;
      const sign = (raw: string) => ({ 'content-type': 'application/json', ...genericHeaders(raw) });
      const huge = JSON.stringify({ app: 'web', environment: 'production', title: 'big', padding: 'x'.repeat(1_100_000) });
      const refused = await postOn(agent, url, huge, sign(huge), chunked);
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body)).toEqual({ error: 'the body is larger than 1 MB' });

      const small = JSON.stringify({ app: 'web', title: 'no environment' });
      const next = await postOn(agent, url, small, sign(small));
      expect(next.status).toBe(400);
    } finally {
      agent.destroy();
    }
  });
});
