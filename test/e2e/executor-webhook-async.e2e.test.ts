import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { textOf } from '../support/fake-slack.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice } = PEOPLE;

/** The standard webhook executor, polled quickly. */
const polledQuickly = (deployUrl: string, prefix: string) => standardConfig(deployUrl, prefix).replace('backoff: 50ms }', 'backoff: 50ms, poll_every: 100ms, deploy_timeout: 30m }');

describe('the webhook executor, asynchronous mode (202 with a status URL)', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('polls the status URL with signed GETs until the target says succeeded, calling the webhook once', async () => {
    h = await startShipgate({ config: polledQuickly });
    h.deployTarget.asynchronous = true;
    const { message } = await h.ask(alice, '/promote web 4.0.0 to development', 'C0DEPLOYS');
    const id = (await h.shipgate.promotion(message)).id;
    await eventually(() => expect(h.deployTarget.deployments.get(id)?.polls).toBeGreaterThan(1));
    const deploying = await h.shipgate.promotion(message);
    expect(deploying.state).toBe('deploying');
    expect(deploying.deployment?.link).toBe(`https://deploys.example.com/runs/${id}`);
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toContain(`Deploying… (<https://deploys.example.com/runs/${id}|the run>)`));
    h.deployTarget.deployments.get(id)!.state = 'succeeded';
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('4.0.0'));
    expect(h.deployTarget.calls).toHaveLength(1);
    // Every poll was signed as the README says: a strict receiver refused none.
    expect(h.deployTarget.refused).toEqual([]);
    expect((await h.shipgate.auditEntries()).map((e) => e.type)).toContain('deploy_started_remote');
  });

  it('fails with the target’s reason and its link in the thread', async () => {
    h = await startShipgate({ config: polledQuickly });
    h.deployTarget.asynchronous = true;
    const { message } = await h.ask(alice, '/promote web 4.0.0 to development', 'C0DEPLOYS');
    const id = (await h.shipgate.promotion(message)).id;
    await eventually(() => expect(h.deployTarget.deployments.get(id)?.polls).toBeGreaterThan(0));
    Object.assign(h.deployTarget.deployments.get(id)!, { state: 'failed', reason: 'helm upgrade timed out waiting for web-7f9 to be ready' });
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    await eventually(() => {
      const note = h.fake.thread(message).map(textOf).find((t) => t.includes('failed:'));
      expect(note).toContain('helm upgrade timed out waiting for web-7f9 to be ready');
      expect(note).toContain(`<https://deploys.example.com/runs/${id}|the run>`);
    });
    expect(await h.shipgate.live('web', 'development')).toBeNull();
  });

  it('fails a deployment the target still reports running once deploy_timeout has passed', async () => {
    h = await startShipgate({ config: polledQuickly });
    h.deployTarget.asynchronous = true;
    const { message } = await h.ask(alice, '/promote web 4.0.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).deployment?.handle).toBeTruthy());
    h.shipgate.clock.advance(31 * 60_000);
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    expect((await h.shipgate.promotion(message)).deployment?.error).toMatch(/did not finish within 30 minutes/);
    expect(h.deployTarget.calls).toHaveLength(1);
  });
});
