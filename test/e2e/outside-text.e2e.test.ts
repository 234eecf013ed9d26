import { afterEach, describe, expect, it } from 'vitest';
import { textOf } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { AM_TOKEN, alertingConfig, genericHeaders } from '../support/alerting.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, rita, raj } = PEOPLE;
const EVIL = '<!channel> <https://evil.example|click> <!here> @everyone';

/** Every text Shipgate sent to Slack: messages, updates, App Home views and replies. */
function everythingSaid(h: Harness): string {
  const calls = h.fake.calls.filter((c) => c.method.startsWith('chat.') || c.method.startsWith('views.'));
  return JSON.stringify(calls) + JSON.stringify(h.fake.responses);
}

/** Outside text reached Slack only as plain text: no ping, no forged link. */
function expectOnlyEscaped(said: string) {
  for (const forbidden of ['<!channel>', '<!here>', '<https://evil', '@everyone', '@channel', '@here']) expect(said).not.toContain(forbidden);
  expect(said).toContain('&lt;!channel&gt; &lt;https://evil.example|click&gt;');
}

describe('text from outside reaches Slack escaped', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('escapes alert titles and severities from Alertmanager and generic senders, in the alert and in the promotion thread', async () => {
    h = await startShipgate({ config: alertingConfig() });
    await h.bring('1.0.0', 'production');
    await h.bring('1.1.0', 'production');
    const base = h.shipgate.receivers[0]!;
    const am = {
      status: 'firing',
      alerts: [{ status: 'firing', labels: { alertname: 'X', app: 'web', environment: 'production', severity: '<!here>' }, annotations: { summary: EVIL }, startsAt: new Date().toISOString(), fingerprint: 'evil-am' }],
    };
    expect((await fetch(`${base}/alerts/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` }, body: JSON.stringify(am) })).status).toBe(200);
    const generic = JSON.stringify({ app: 'web', environment: 'production', title: EVIL, severity: '@channel', status: 'firing', id: 'evil-generic' });
    expect((await fetch(`${base}/alerts/generic`, { method: 'POST', headers: genericHeaders(generic), body: generic })).status).toBe(200);

    const promotion = h.fake.topLevelIn('C0PROD').find((m) => textOf(m).includes('web 1.1.0 to production'))!;
    await eventually(() => expect(h.fake.topLevelIn('C0PROD').filter((m) => textOf(m).includes('evil.example'))).toHaveLength(2));
    await eventually(() => expect(h.fake.thread(promotion).filter((m) => textOf(m).includes('Alert fired'))).toHaveLength(2));
    expectOnlyEscaped(everythingSaid(h));
  });

  it('escapes freeze names in the promotion message, its thread, /promote calendar and App Home', async () => {
    const calendar = `timezone: UTC\nfreezes:\n  - name: "${EVIL}"\n    start: 2026-12-01T00:00\n    end: 2026-12-31T00:00\n`;
    h = await startShipgate({ config: alertingConfig(), calendars: { 'production.yml': calendar } });
    await h.bring('1.0.0', 'staging');
    h.shipgate.clock.set(Date.parse('2026-12-10T12:00:00Z'));

    const { message } = await h.ask(alice, '/promote web 1.0.0 to production', 'C0PROD');
    expect(textOf(message)).toMatch(/\*Calendar\*\n:red_circle: closed \(freeze: &lt;!channel&gt;/);
    await h.slack.click(rita, message, 'Approve');
    await h.slack.click(raj, message, 'Approve');
    await eventually(() => expect(h.fake.thread(message).map(textOf).join('\n')).toMatch(/Approved, but production is closed \(freeze: &lt;!channel&gt;/));

    await h.slack.command(alice, '/promote calendar production');
    await eventually(() => expect(h.fake.lastEphemeralTo(alice)).toMatch(/is closed: freeze: &lt;!channel&gt;[\s\S]*• &lt;!channel&gt;/));
    await h.slack.event({ type: 'app_home_opened', user: alice, channel: 'D0HOME', tab: 'home' });
    await eventually(() => expect(JSON.stringify(h.fake.callsTo('views.publish').at(-1)?.args)).toContain('closed (freeze: &lt;!channel&gt;'));
    expectOnlyEscaped(everythingSaid(h));
  });
});
