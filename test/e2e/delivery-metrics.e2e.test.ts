import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.js';
import { startServe, startWorker, type Running } from '../../src/runtime.js';
import { alertingConfig, genericHeaders } from '../support/alerting.js';
import { spawnShipgate } from '../support/child-shipgate.js';
import { eventually } from '../support/eventually.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, lead, rita, raj, omar } = PEOPLE;
const HOUR = 3_600_000;
/** Every step not moved on by the clock takes less than this test's timeout, so it lands at or below the 300 s bucket. */
const TIMEOUT_MS = 120_000;

/** Samples of a Prometheus text page: `name{labels}` -> value. */
function samples(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), line.slice(cut + 1));
  }
  return out;
}

async function scrape(base: string): Promise<Map<string, string>> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  return samples(await res.text());
}

/** The series computed from stored facts (the queue counts move as jobs run, so they are left out). */
function delivery(all: Map<string, string>): [string, string][] {
  const names = /^shipgate_(deployments_total|emergency_deployments_total|lead_time_seconds|change_failure_rate|time_to_restore_seconds|drift_detection_seconds|failed_promotions_total|approvals_pending|audit_verification_ok|audit_verification_timestamp_seconds)\b/;
  return [...all].filter(([k]) => names.test(k)).sort(([a], [b]) => a.localeCompare(b));
}

const web = (env: string, more = '') => `{app="web",environment="${env}"${more}}`;
/** prom-client writes `le` first. */
const bucket = (env: string, le: number) => `{le="${le}",app="web",environment="${env}"}`;

describe('delivery metrics', () => {
  let harness: Harness | undefined;
  const extra: Running[] = [];
  afterEach(async () => {
    await Promise.allSettled(extra.splice(0).map((r) => r.close()));
    await harness?.close();
    harness = undefined;
  });

  it('reports the same figures of a scripted history on every replica and on a process started afterwards', { timeout: TIMEOUT_MS }, async () => {
    const h = await startShipgate({ config: alertingConfig(), replicas: 1 });
    harness = h;

    await h.bring('1.0.0', 'production');
    await h.bring('1.1.0', 'staging');
    // Production's approvers take three hours: a lead time between 2 h and 4 h.
    const { message: toProduction } = await h.ask(alice, '/promote web 1.1.0 to production', 'C0PROD');
    h.shipgate.clock.advance(3 * HOUR);
    await h.slack.click(rita, toProduction, 'Approve');
    await h.slack.click(raj, toProduction, 'Approve');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.1.0'));

    // An alert blames 1.1.0; on-call rolls back an hour later.
    const before = h.fake.topLevelIn('C0PROD').length;
    const raw = JSON.stringify({ app: 'web', environment: 'production', title: 'Checkout errors above 5%', severity: 'critical', status: 'firing', id: 'checkout-errors' });
    expect((await fetch(`${h.shipgate.receivers[0]}/alerts/generic`, { method: 'POST', headers: genericHeaders(raw), body: raw })).status).toBe(200);
    const alert = await eventually(() => {
      const m = h.fake.topLevelIn('C0PROD')[before];
      if (!m) throw new Error('no alert message yet');
      return m;
    });
    h.shipgate.clock.advance(HOUR);
    await h.slack.click(omar, alert, 'Roll back to 1.0.0');
    await eventually(async () => expect(await h.shipgate.live('web', 'production')).toBe('1.0.0'));

    // 1.2.0 fails to deploy to staging; 1.2.1 gets there the same day.
    await h.bring('1.2.0', 'development');
    h.deployTarget.answerNext({ status: 500 }, { status: 500 }, { status: 500 });
    const { message: failing } = await h.ask(alice, '/promote web 1.2.0 to staging', 'C0DEPLOYS');
    await h.slack.click(lead, failing, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(failing)).state).toBe('failed'));
    await h.bring('1.2.1', 'staging');
    // Left waiting for production's approvers.
    const { message: waiting } = await h.ask(alice, '/promote web 1.2.1 to production', 'C0PROD');
    await eventually(async () => expect((await h.shipgate.promotion(waiting)).state).toBe('awaiting_approval'));

    // The audit log verified from the command line: every replica says so.
    const verify = spawnShipgate(['audit', 'verify'], h.shipgate.cliEnv());
    expect(await verify.exited).toBe(0);

    // A serve replica and a worker started now, each with metrics of its own, as separate processes would be.
    const lateServe = await startServe({ ...h.shipgate.runtimeOptions, metrics: createMetrics() }, 0);
    extra.push(lateServe);
    const lateWorker = await startWorker({ ...h.shipgate.runtimeOptions, metrics: createMetrics() }, 0);
    extra.push(lateWorker);

    const pages = await Promise.all([...h.shipgate.receivers, `http://127.0.0.1:${lateServe.port}`, `http://127.0.0.1:${lateWorker.port}`].map(scrape));
    const first = pages[0]!;
    for (const page of pages.slice(1)) expect(delivery(page)).toEqual(delivery(first));

    const expected: Record<string, string> = {
      [`shipgate_deployments_total${web('development', ',kind="promote",outcome="succeeded"')}`]: '4',
      [`shipgate_deployments_total${web('staging', ',kind="promote",outcome="succeeded"')}`]: '3',
      [`shipgate_deployments_total${web('staging', ',kind="promote",outcome="failed"')}`]: '1',
      [`shipgate_deployments_total${web('production', ',kind="promote",outcome="succeeded"')}`]: '2',
      [`shipgate_deployments_total${web('production', ',kind="rollback",outcome="succeeded"')}`]: '1',
      [`shipgate_emergency_deployments_total${web('production')}`]: '0',
      [`shipgate_change_failure_rate${web('development')}`]: '0',
      [`shipgate_change_failure_rate${web('staging')}`]: '0.25',
      [`shipgate_change_failure_rate${web('production')}`]: '0.5',
      [`shipgate_lead_time_seconds_count${web('development')}`]: '4',
      [`shipgate_lead_time_seconds_count${web('staging')}`]: '3',
      [`shipgate_lead_time_seconds_bucket${bucket('staging', 300)}`]: '3',
      [`shipgate_lead_time_seconds_count${web('production')}`]: '2',
      [`shipgate_lead_time_seconds_bucket${bucket('production', 300)}`]: '1',
      [`shipgate_lead_time_seconds_bucket${bucket('production', 7200)}`]: '1',
      [`shipgate_lead_time_seconds_bucket${bucket('production', 14400)}`]: '2',
      [`shipgate_time_to_restore_seconds_count${web('production')}`]: '1',
      [`shipgate_time_to_restore_seconds_bucket${bucket('production', 3600)}`]: '0',
      [`shipgate_time_to_restore_seconds_bucket${bucket('production', 7200)}`]: '1',
      [`shipgate_failed_promotions_total${web('staging', ',resolved="within_slo"')}`]: '1',
      [`shipgate_failed_promotions_total${web('staging', ',resolved="late"')}`]: '0',
      [`shipgate_failed_promotions_total${web('staging', ',resolved="open"')}`]: '0',
      [`shipgate_failed_promotions_total${web('production', ',resolved="open"')}`]: '0',
      'shipgate_approvals_pending{environment="production"}': '1',
      'shipgate_approvals_pending{environment="staging"}': '0',
      shipgate_audit_verification_ok: '1',
    };
    for (const [series, value] of Object.entries(expected)) expect({ series, value: first.get(series) }).toEqual({ series, value });
    expect(delivery(first).filter(([k]) => /^shipgate_deployments_total/.test(k))).toHaveLength(5);
    // A histogram has series only where something was observed.
    expect(first.has(`shipgate_time_to_restore_seconds_count${web('staging')}`)).toBe(false);
    // No drift detection yet: the histogram is declared and has no series.
    expect([...first.keys()].filter((k) => k.startsWith('shipgate_drift_detection_seconds'))).toEqual([]);
    // No promotion id or version is ever a label.
    expect([...first.keys()].filter((k) => /sg-\d|1\.\d\.\d/.test(k))).toEqual([]);
    expect([...first.keys()].some((k) => k.startsWith('shipgate_queue_jobs{queue="deploy",state="waiting"}'))).toBe(true);

    // The same figures in Slack…
    await h.slack.command(alice, '/promote report production --since 30d');
    const answer = await eventually(() => {
      const r = h.fake.responses.filter((x) => x.user === alice).at(-1)?.body as { text?: string; blocks?: { type: string; text?: { text: string } }[] } | undefined;
      if (!r?.blocks) throw new Error('no report yet');
      return r;
    });
    expect(answer.blocks!.map((b) => b.text?.text ?? '')).toEqual([
      '*Delivery of every app over the last 30 days*',
      expect.stringMatching(/^\*production\*: 3 deployments · lead time p50 1 h 3\d min · change failure rate 50% · time to restore p50 1 h \d min$/),
      '',
    ]);

    await h.slack.command(alice, '/promote report nosuch');
    await eventually(() => expect(h.fake.lastEphemeralTo(alice)).toMatch(/There is no app or environment called `nosuch`\. Apps: web; environments: development, staging, production\./));

    // …and on the command line.
    const run = async (...args: string[]) => {
      const child = spawnShipgate(['report', ...args], h.shipgate.cliEnv());
      expect({ code: await child.exited, output: child.output() }).toMatchObject({ code: 0 });
      return child.output();
    };
    const json = JSON.parse(await run('web', 'production', '--since', '30d', '--json')) as { since: string; rows: Record<string, unknown>[] };
    expect(json.since).toBe('30d');
    expect(json.rows).toEqual([
      { app: 'web', environment: 'production', deployments: 3, failedDeployments: 0, rollbacks: 1, leadTimeP50: expect.any(Number), changeFailureRate: 0.5, timeToRestoreP50: expect.any(Number), failedPromotionsOpen: 0 },
    ]);
    const csv = (await run('--csv')).trim().split('\n');
    expect(csv[0]).toBe('app,environment,deployments,failed_deployments,rollbacks,lead_time_p50_seconds,change_failure_rate,time_to_restore_p50_seconds,failed_promotions_open');
    expect(csv.slice(1).map((l) => l.split(',').filter((_, i) => i !== 5 && i !== 7).join(','))).toEqual(['*,development,4,0,0,0,0', '*,staging,4,1,0,0.25,0', '*,production,3,0,1,0.5,0']);
    expect(csv[3]!.split(',')[7]).not.toBe('');
    expect(csv[2]!.split(',')[7]).toBe('');
  });

  it('explains shipgate report and refuses a bad period or two formats before reading anything', async () => {
    const run = async (...args: string[]) => {
      const child = spawnShipgate(['report', ...args], {});
      return { code: await child.exited, output: child.output() };
    };
    const [help, period, both] = await Promise.all([run('--help'), run('--since', '1y'), run('--json', '--csv')]);
    expect(help).toMatchObject({ code: 0, output: expect.stringMatching(/^Usage: shipgate report \[APP\] \[ENV\] \[--since 30d\] \[--json\|--csv\]/) });
    expect(period).toEqual({ code: 2, output: 'shipgate: --since takes a period such as 7d, 2w or 48h, at most 90d (got "1y").\n' });
    expect(both).toEqual({ code: 2, output: 'shipgate: Choose one of --json and --csv.\n' });
  });
});
