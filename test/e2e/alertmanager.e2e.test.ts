import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { textOf } from '../support/fake-slack.js';
import { eventually } from '../support/eventually.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';
import { AM_TOKEN, alertingConfig } from '../support/alerting.js';

/** The real Prometheus Alertmanager, from Debian's prometheus-alertmanager package. */
function alertmanagerBinary(): string {
  for (const name of ['prometheus-alertmanager', 'alertmanager']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (found) return found;
  }
  throw new Error('Prometheus Alertmanager is not installed, so this test cannot run. Install it with `apt-get install prometheus-alertmanager` (.ci/run does this when it is missing).');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a real Alertmanager delivering to Shipgate', () => {
  let h: Harness;
  let alertmanager: ChildProcess | undefined;
  afterEach(async () => {
    alertmanager?.kill('SIGKILL');
    await h?.close();
  });

  it('delivers an alert whose button rolls production back, then a resolved notification that updates the message', async () => {
    const binary = alertmanagerBinary();
    h = await startShipgate({ config: alertingConfig() });
    await h.bring('1.0.0', 'production');
    await h.bring('1.1.0', 'production');

    const dir = mkdtempSync(join(tmpdir(), 'alertmanager-'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'alertmanager.yml'),
      `route:
  receiver: shipgate
  group_by: [alertname, app, environment]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: shipgate
    webhook_configs:
      - url: ${h.shipgate.receivers[0]}/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization: { type: Bearer, credentials: ${AM_TOKEN} }
`,
    );
    alertmanager = spawn(binary, [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'], { stdio: 'ignore' });
    const api = `http://127.0.0.1:${port}`;
    await eventually(async () => expect((await fetch(`${api}/-/ready`)).status).toBe(200), { timeoutMs: 20_000, intervalMs: 100 });

    const labels = { alertname: 'HighErrorRate', app: 'web', environment: 'production', severity: 'critical' };
    const send = (extra: object) =>
      fetch(`${api}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ labels, annotations: { summary: 'Error rate above 5%' }, generatorURL: 'http://prometheus.example.com/graph', ...extra }]),
      });
    const startsAt = new Date().toISOString();
    expect((await send({ startsAt })).status).toBe(200);

    const message = await eventually(
      () => {
        const m = h.fake.topLevelIn('C0PROD').find((x) => textOf(x).includes('Alert: Error rate above 5%'));
        if (!m) throw new Error('Alertmanager has not delivered yet');
        return m;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(textOf(message)).toMatch(/Fired \d+ min after 1\.1\.0 was deployed/);
    expect(textOf(message)).toContain('Open in alertmanager');

    await h.slack.click(PEOPLE.omar, message, 'Roll back to 1.0.0');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.0.0'));
    expect(h.deployTarget.calls.at(-1)!.body).toMatchObject({ kind: 'rollback', version: '1.0.0', environment: 'production' });
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Rolled back to 1\.0\.0/));

    expect((await send({ startsAt, endsAt: new Date().toISOString() })).status).toBe(200);
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Resolved: Error rate above 5%[\s\S]*Resolved after \d+ min/), { timeoutMs: 20_000, intervalMs: 100 });
    expect(h.fake.topLevelIn('C0PROD').filter((m) => textOf(m).includes('Error rate above 5%'))).toHaveLength(1);
  });
});
