import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { textOf } from '../support/fake-slack.js';
import { eventually, sleep } from '../support/eventually.js';
import { AM_TOKEN, alertingConfig, genericHeaders, GENERIC_SECRET, GRAFANA_SECRET } from '../support/alerting.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { omar } = PEOPLE;
function generic(h: Harness, body: object | string, secret = GENERIC_SECRET, timestamp?: number) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return fetch(`${h.shipgate.receivers[0]}/alerts/generic`, { method: 'POST', headers: genericHeaders(raw, secret, timestamp), body: raw });
}

const firing = { app: 'web', environment: 'production', title: 'Checkout errors above 5%', severity: 'critical', status: 'firing', url: 'https://grafana.example.com/d/checkout', id: 'checkout-errors' };

async function alertKeys(h: Harness): Promise<string[]> {
  return h.shipgate.redis.keys(`${h.shipgate.prefix}:alert:*`);
}

describe('alerts', () => {
  let h: Harness;
  afterEach(async () => h.close());

  async function deployedTwice() {
    await h.bring('1.0.0', 'production');
    await h.bring('1.1.0', 'production');
  }

  it('refuses bad credentials, bad bodies and oversized bodies, and records nothing', async () => {
    h = await startShipgate({ config: alertingConfig() });
    const base = h.shipgate.receivers[0]!;
    const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const answers = await Promise.all([
      post('/alerts/alertmanager', '{}'),
      post('/alerts/alertmanager', '{}', { authorization: 'Bearer wrong-token-0123456789' }),
      generic(h, firing, 'not-the-secret-0123456789'),
      post('/alerts/generic', JSON.stringify(firing)),
      post('/alerts/grafana', '{}', { 'x-grafana-alerting-signature': 'abc', 'x-grafana-alerting-signature-timestamp': '1' }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);

    const malformed = await generic(h, '{"app": ');
    expect([malformed.status, await malformed.json()]).toEqual([400, { error: 'the body is not JSON' }]);
    const shape = await generic(h, { app: 'web', title: 'no environment' });
    expect(shape.status).toBe(400);
    expect(((await shape.json()) as { error: string }).error).toMatch(/^wrong shape: environment: /);
    const am = await post('/alerts/alertmanager', JSON.stringify({ status: 'firing', alerts: [] }), { authorization: `Bearer ${AM_TOKEN}` });
    expect([am.status, ((await am.json()) as { error: string }).error]).toEqual([400, 'wrong shape: alerts: Too small: expected array to have >=1 items']);
    const huge = await generic(h, JSON.stringify({ ...firing, padding: 'x'.repeat(1_100_000) }));
    expect(huge.status).toBe(413);

    await sleep(200);
    expect(await alertKeys(h)).toEqual([]);
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(0);
    expect((await h.shipgate.auditEntries()).filter((e) => e.type.startsWith('alert'))).toEqual([]);
  });

  it('posts a firing alert once with a Roll back button, rolls back on the click, and resolves in place', async () => {
    h = await startShipgate({ config: alertingConfig() });
    await deployedTwice();
    const before = h.fake.topLevelIn('C0PROD').length;

    // A flood of the same delivery: one message.
    const answers = await Promise.all(Array.from({ length: 20 }, () => generic(h, firing)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as { received: number; duplicates: number }[];
    expect(bodies.reduce((n, b) => n + b.received, 0)).toBe(1);
    const message = await eventually(() => {
      const m = h.fake.topLevelIn('C0PROD')[before];
      if (!m) throw new Error('no alert message yet');
      return m;
    });
    await sleep(300);
    expect(h.fake.topLevelIn('C0PROD')).toHaveLength(before + 1);
    expect(textOf(message)).toMatch(/Alert: Checkout errors above 5%[\s\S]*Severity:\* critical · \*Where:\* web in production/);
    expect(textOf(message)).toMatch(/Fired \d+ min after 1\.1\.0 was deployed \(sg-\d+\)/);
    expect(textOf(message)).toContain('<https://grafana.example.com/d/checkout|Open in generic>');
    const blamed = (await h.shipgate.auditEntries()).find((e) => e.type === 'alert_matched')!;
    const promotionThread = h.fake.messages.find((m) => m.channel === 'C0PROD' && !m.thread_ts && textOf(m).includes('web 1.1.0 to production'))!;
    await eventually(() => expect(h.fake.thread(promotionThread).map(textOf).join('\n')).toMatch(/Alert fired .* Checkout errors above 5% \(critical\)/));

    await h.slack.click(omar, message, 'Roll back to 1.0.0');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.0.0'));
    expect(h.deployTarget.calls.at(-1)!.body).toMatchObject({ kind: 'rollback', version: '1.0.0', previous_version: '1.1.0', requested_by: omar });
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Rolled back to 1\.0\.0 \(sg-\d+\)/));
    expect(h.fake.refreshed(message).blocks.some((b) => b.type === 'actions')).toBe(false);

    const resolved = await generic(h, { ...firing, status: 'resolved' });
    expect(await resolved.json()).toEqual({ received: 1, duplicates: 0 });
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Resolved: Checkout errors above 5%[\s\S]*Resolved after \d+ min\./));
    expect(h.fake.topLevelIn('C0PROD').filter((m) => textOf(m).includes('Checkout errors'))).toHaveLength(1);
    const types = (await h.shipgate.auditEntries()).filter((e) => e.type.startsWith('alert')).map((e) => e.type);
    expect(types).toEqual(['alert_received', 'alert_matched', 'alert_rolled_back', 'alert_resolved']);
    expect(blamed.detail.version).toBe('1.1.0');
    expect(await (await fetch(`${h.shipgate.receivers[0]}/metrics`)).text()).toMatch(/shipgate_alert_to_rollback_seconds_count\{automatic="false"\} 1/);
  });

  it('posts an alert with nothing to blame with the current version and no button', async () => {
    h = await startShipgate({ config: alertingConfig() });
    const answer = await generic(h, { ...firing, id: 'nothing-deployed' });
    expect(answer.status).toBe(200);
    const message = await eventually(() => h.fake.lastMessageIn('C0PROD'));
    expect(textOf(message)).toContain('No deployment is recorded there.');
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect((await h.shipgate.auditEntries()).map((e) => e.type)).toEqual(['alert_received', 'alert_unmatched']);
  });

  it('rolls back without a click for a critical alert soon after a deployment, and records it as automatic', async () => {
    h = await startShipgate({ config: alertingConfig(', auto_on_alert: { severity: critical, within: 30m }') });
    await deployedTwice();
    await generic(h, { ...firing, severity: 'warning', id: 'only-a-warning' });
    await sleep(300);
    expect(await h.shipgate.live('web', 'production')).toBe('1.1.0');

    await generic(h, firing);
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.0.0'));
    const entries = await h.shipgate.auditEntries();
    expect(entries.find((e) => e.type === 'auto_rollback_decided')?.detail).toMatchObject({ to_version: '1.0.0' });
    expect(entries.find((e) => e.type === 'rollback_requested')).toMatchObject({ actor: 'shipgate', detail: { automatic: true } });
    const alert = await eventually(() => {
      const m = h.fake.topLevelIn('C0PROD').find((x) => textOf(x).includes('Checkout errors above 5%') && x.blocks.some((b) => b.text?.text.includes('critical')));
      if (!m) throw new Error('no alert message yet');
      return m;
    });
    await eventually(() => expect(textOf(h.fake.refreshed(alert))).toMatch(/Rolled back to 1\.0\.0 \(sg-\d+, automatically\)/));
  });

  it("fails production's soak gate when staging had an alert since the version arrived there", async () => {
    const soakWithoutAlerts = (url: string, prefix: string) =>
      alertingConfig()(url, prefix)
        .replace('    from: staging\n', '    from: staging\n    gates: [soak]\n')
        .concat('\ngates:\n  soak: { type: soak, in: staging, at_least: 1s, without_alerts: true }\n');
    h = await startShipgate({ config: soakWithoutAlerts });
    await h.bring('2.0.0', 'staging');
    expect((await generic(h, { ...firing, environment: 'staging', id: 'staging-errors', starts_at: new Date(h.shipgate.clock.now()).toISOString() })).status).toBe(200);
    const { message } = await h.ask(PEOPLE.alice, '/promote web 2.0.0 to production', 'C0PROD');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('blocked'), { timeoutMs: 15_000 });
    expect((await h.shipgate.promotion(message)).gates!.results.soak).toMatchObject({ status: 'failed', summary: '1 alert in staging since 2.0.0 was deployed' });
  });

  it('accepts Grafana notifications signed with HMAC over timestamp:body', async () => {
    h = await startShipgate({ config: alertingConfig() });
    await deployedTwice();
    const body = JSON.stringify({ status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'Latency', app: 'web', env: 'production', severity: 'high' }, annotations: { summary: 'p95 above 300 ms' }, startsAt: new Date().toISOString(), fingerprint: 'abc123' }] });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', GRAFANA_SECRET).update(`${timestamp}:${body}`).digest('hex');
    const send = (ts: string) => fetch(`${h.shipgate.receivers[0]}/alerts/grafana`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-grafana-alerting-signature': signature, 'x-grafana-alerting-signature-timestamp': ts }, body });
    expect((await send(String(Number(timestamp) - 600))).status).toBe(401);
    expect((await send(timestamp)).status).toBe(200);
    await eventually(() => expect(textOf(h.fake.lastMessageIn('C0PROD'))).toMatch(/Alert: p95 above 300 ms/));
  });

  it('refuses a generic alert whose signature is stale, in the future, over the body alone or for another timestamp', async () => {
    h = await startShipgate({ config: alertingConfig() });
    const base = h.shipgate.receivers[0]!;
    const raw = JSON.stringify({ ...firing, id: 'replayed' });
    const now = Math.floor(Date.now() / 1000);
    const bodyOnly = `sha256=${createHmac('sha256', GENERIC_SECRET).update(raw).digest('hex')}`;
    const post = (headers: Record<string, string>) => fetch(`${base}/alerts/generic`, { method: 'POST', headers, body: raw });
    const answers = await Promise.all([
      post(genericHeaders(raw, GENERIC_SECRET, now - 301)),
      post(genericHeaders(raw, GENERIC_SECRET, now + 301)),
      post({ 'content-type': 'application/json', 'x-shipgate-signature': bodyOnly }),
      post({ ...genericHeaders(raw, GENERIC_SECRET, now - 60), 'x-shipgate-timestamp': String(now) }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401]);
    await sleep(200);
    expect(await alertKeys(h)).toEqual([]);

    expect((await post(genericHeaders(raw, GENERIC_SECRET, now - 240))).status).toBe(200);
    await eventually(() => expect(textOf(h.fake.lastMessageIn('C0PROD'))).toMatch(/Alert: Checkout errors above 5%/));
  });

  it('accepts a body-only signature only where allow_unsigned_timestamp says so, and still refuses a stale timestamp', async () => {
    const lenient = (url: string, prefix: string) => alertingConfig()(url, prefix).replace(`generic: { secret: "${GENERIC_SECRET}" }`, `generic: { secret: "${GENERIC_SECRET}", allow_unsigned_timestamp: true }`);
    h = await startShipgate({ config: lenient });
    const raw = JSON.stringify({ ...firing, id: 'legacy-sender' });
    const bodyOnly = `sha256=${createHmac('sha256', GENERIC_SECRET).update(raw).digest('hex')}`;
    const post = (headers: Record<string, string>) => fetch(`${h.shipgate.receivers[0]}/alerts/generic`, { method: 'POST', headers, body: raw });
    expect((await post(genericHeaders(raw, GENERIC_SECRET, Math.floor(Date.now() / 1000) - 600))).status).toBe(401);
    expect((await post({ 'content-type': 'application/json', 'x-shipgate-signature': bodyOnly })).status).toBe(200);
  });
});
