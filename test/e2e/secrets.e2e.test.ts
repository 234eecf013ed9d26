import type { IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { textOf } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { listen } from '../support/http-server.js';
import { DEPLOY_SECRET, PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice } = PEOPLE;
const GATE_TOKEN = 'gate-token-s3cr3t-9f8e7d6c';
const GATE_PASSWORD = 'gate-password-hunter2-42';

/** Everything Shipgate said to Slack, every argument of every call. */
const allSlackText = (h: Harness) => JSON.stringify(h.fake.calls) + JSON.stringify(h.fake.responses);

describe('secrets never leave', () => {
  let h: Harness;
  let closeGateServer: () => Promise<void> = async () => undefined;
  afterEach(async () => {
    await h.close();
    await closeGateServer();
  });

  it('shows and audits gate URLs as written: ${NAME} unexpanded and no user:password@', async () => {
    const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
    const gateServer = await listen((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      const tokenOk = new URL(req.url ?? '/', 'http://x').searchParams.get('token') === GATE_TOKEN;
      const basicOk = req.headers.authorization === `Basic ${Buffer.from(`ci:${GATE_PASSWORD}`).toString('base64')}`;
      const ok = req.url?.startsWith('/cov') ? tokenOk : basicOk;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(ok ? JSON.stringify({ total: { lines: { pct: 91 } } }) : '{"error":"unauthorized"}');
    });
    closeGateServer = gateServer.close;
    const port = new URL(gateServer.url).port;
    const gated = (url: string, prefix: string) =>
      standardConfig(url, prefix)
        .replace('  development: {}', '  development: { gates: [coverage, private] }')
        .concat(`
gates:
  coverage: { type: coverage, url: "http://127.0.0.1:${port}/cov?app={app}&token=\${GATE_TOKEN}", min_lines: 80, timeout: 2s }
  private: { type: coverage, url: "http://ci:\${GATE_PASSWORD}@127.0.0.1:${port}/private/{version}", min_lines: 80, timeout: 2s }
`);
    h = await startShipgate({ config: gated, env: { GATE_TOKEN, GATE_PASSWORD } });

    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.0.0'));

    // The gate target got the real credentials…
    expect(seen.find((s) => s.url.startsWith('/cov'))?.url).toContain(`token=${GATE_TOKEN}`);
    expect(seen.find((s) => s.url.startsWith('/private'))?.headers.authorization).toMatch(/^Basic /);
    // …people and the audit log see the URL as written.
    const shown = await eventually(() => {
      const text = textOf(h.fake.refreshed(message));
      expect(text).toMatch(/Deployed/);
      return text;
    });
    expect(shown).toContain(`<http://127.0.0.1:${port}/cov?app=web&token=\${GATE_TOKEN}|evidence>`);
    expect(shown).toContain(`<http://127.0.0.1:${port}/private/1.0.0|evidence>`);
    const evidence = (await h.shipgate.auditEntries()).filter((e) => e.type === 'gate_passed').map((e) => e.detail.evidence);
    expect(evidence.sort()).toEqual([`http://127.0.0.1:${port}/cov?app=web&token=\${GATE_TOKEN}`, `http://127.0.0.1:${port}/private/1.0.0`]);

    const everywhere = [allSlackText(h), JSON.stringify(await h.shipgate.auditEntries()), JSON.stringify(await h.shipgate.promotion(message))].join('\n');
    expect(everywhere).not.toContain(GATE_TOKEN);
    expect(everywhere).not.toContain(GATE_PASSWORD);
  });

  it('shows a failing deploy target’s answer redacted and cut short, even when it echoes secrets in 5 MB', async () => {
    h = await startShipgate();
    const echo = `Unauthorized: secret=${DEPLOY_SECRET} Authorization: Bearer abcdef0123456789abcdef token xoxb-1234-5678-abcdefghij password=hunter2 `;
    const huge = { status: 500, body: echo + 'x'.repeat(5 * 1024 * 1024) + DEPLOY_SECRET };
    h.deployTarget.answerNext(huge, huge, huge);
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'), { timeoutMs: 15_000 });

    const note = await eventually(() => {
      const failed = h.fake.thread(message).map(textOf).find((t) => t.includes('failed:'));
      if (!failed) throw new Error('no failure note yet');
      return failed;
    });
    expect(note).toContain('the deploy webhook answered 500: Unauthorized:');
    const detail = /answered 500: (.*) \(after 3 attempts\)/.exec(note.split('\n')[0]!)?.[1] ?? '';
    expect(detail.length).toBeGreaterThan(20);
    expect(detail.length).toBeLessThanOrEqual(300);
    const everywhere = [allSlackText(h), JSON.stringify(await h.shipgate.auditEntries()), JSON.stringify(await h.shipgate.promotion(message))].join('\n');
    for (const leaked of [DEPLOY_SECRET, 'abcdef0123456789abcdef', 'xoxb-1234', 'hunter2']) expect(everywhere).not.toContain(leaked);
    expect(everywhere).not.toMatch(/x{400}/);
  });
});
