import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackSignature } from '../../src/playground/signed-slack.js';
import { startPlayground, type Playground } from '../../src/playground/start-playground.js';
import { TEST_REDIS_URL } from '../support/global-setup.js';

describe('the playground, behind its page', () => {
  let pg: Playground;
  beforeAll(async () => {
    pg = await startPlayground({ port: 0, redisUrl: TEST_REDIS_URL, log: pino({ level: 'silent' }), prefix: `{t-playground-${randomBytes(4).toString('hex')}}`, paceMs: 0 });
  });
  afterAll(async () => {
    const left = await pg.redis.keys(`${pg.prefix}*`);
    if (left.length) await pg.redis.del(...left);
    await pg.close();
  });

  const run = async (name: string) => {
    const { done } = pg.scenarios.start(name);
    const state = await done;
    expect(state.problem).toBeNull();
    return state;
  };
  const promotions = async () => pg.store.recent(100);

  it('refuses a forged request to /slack/events, and takes the one it signs itself', async () => {
    const body = new URLSearchParams({ command: '/promote', text: 'help', user_id: 'U0ADA', channel_id: 'C0DEPLOYS' }).toString();
    const timestamp = Math.floor(Date.now() / 1000);
    const forged = await fetch(`${pg.receiverUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature('not-the-secret', timestamp, body) },
      body,
    });
    expect(forged.status).toBe(401);
    expect(await pg.signed.command('U0ADA', '/promote help', 'C0DEPLOYS')).toEqual({ status: 200 });
    expect(pg.slack.ephemerals.at(-1)).toMatchObject({ user: 'U0ADA', channel: 'C0DEPLOYS' });
  });

  it('answers /healthz as a playground, never as a healthy production bot', async () => {
    const health = await fetch(`http://127.0.0.1:${pg.port}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.text()).toMatch(/playground, not a production bot/);
  });

  it('takes actions from its own page only', async () => {
    const crossSite = await fetch(`http://127.0.0.1:${pg.port}/playground/api/deploy-mode`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"mode":"fail"}' });
    expect(crossSite.status).toBe(403);
    const otherOrigin = await fetch(`http://127.0.0.1:${pg.port}/playground/api/deploy-mode`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: '{"mode":"fail"}' });
    expect(otherOrigin.status).toBe(403);
    expect(pg.deployTarget.mode).toBe('succeed');
  });

  it('walks the happy path up to production', async () => {
    await run('happy-path');
    const version = await pg.actors.live('production');
    expect(version).not.toBeNull();
    expect(await pg.actors.live('staging')).toBe(version);
    expect(pg.deployTarget.deployments.map((d) => d.environment)).toEqual(['development', 'staging', 'production']);
  });

  it('blocks on failing coverage and deploys after the re-run', async () => {
    const state = await run('failing-gate');
    const p = (await promotions()).find((x) => x.environment === 'staging' && x.gates?.run === 2);
    expect(p?.state).toBe('deployed');
    expect(state.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
  });

  it('schedules a promotion during a freeze and deploys it when the clock passes the opening', async () => {
    const state = await run('freeze');
    // The scenario itself waited for the promotion to be scheduled before it moved the clock.
    expect(state.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
    const p = (await promotions()).filter((x) => x.environment === 'production' && x.kind !== 'rollback').sort((a, b) => b.requestedAt - a.requestedAt)[0];
    expect(p?.state).toBe('deployed');
    // It deployed at the opening, two hours (of the playground's clock) after it was asked for.
    expect(p!.deployment!.startedAt - p!.requestedAt).toBeGreaterThanOrEqual(2 * 3_600_000);
  });

  it('rolls back from the message of an Alertmanager alert', async () => {
    await run('alert-rollback');
    const rollback = (await promotions()).find((x) => x.kind === 'rollback');
    expect(rollback?.state).toBe('deployed');
    expect(rollback?.requester).toBe('U0OMAR');
    expect(await pg.actors.live('production')).toBe(rollback!.version);
  });

  it('times a rollback rehearsal and keeps the result in Redis under the playground prefix', async () => {
    await run('rollback-rehearsal');
    const [result] = await pg.rehearsals.list();
    expect(result).toMatchObject({ app: 'web', environment: 'production' });
    expect(await pg.actors.live('production')).toBe(result!.from);
    expect(await pg.redis.llen(`${pg.prefix}:playground:rehearsals`)).toBe(1);
  });
});
