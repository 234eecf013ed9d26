import { afterEach, describe, expect, it } from 'vitest';
import { textOf } from '../support/fake-slack.js';
import { eventually, sleep } from '../support/eventually.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice } = PEOPLE;

describe('deployments', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('retries a target that answers 503, with the same Idempotency-Key, and deploys', async () => {
    h = await startShipgate();
    h.deployTarget.answerNext({ status: 503 }, { status: 502 });
    const { message } = await h.ask(alice, '/promote web 3.0.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('3.0.0'));
    const id = (await h.shipgate.promotion(message)).id;
    expect(h.deployTarget.calls.map((c) => c.headers['idempotency-key'])).toEqual([id, id, id]);
    expect((await h.shipgate.promotion(message)).state).toBe('deployed');
  });

  it('marks the promotion failed, with the reason in the message, after every attempt failed', async () => {
    h = await startShipgate();
    h.deployTarget.answerNext({ status: 500 }, { status: 500 }, { status: 500 });
    const { message } = await h.ask(alice, '/promote web 3.0.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    expect(h.deployTarget.calls).toHaveLength(3);
    expect(await h.shipgate.live('web', 'development')).toBeNull();
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toMatch(/Deployment failed:\* the deploy webhook answered 500.*after 3 attempts/));
    expect((await h.shipgate.auditEntries()).at(-1)).toMatchObject({ type: 'deploy_failed' });
    // The slot is free again: the same version can be asked for once more.
    const { message: again } = await h.ask(alice, '/promote web 3.0.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(again)).state).toBe('deployed'));
  });

  it('finishes a deployment whose worker was killed mid-job, sending the same Idempotency-Key, and ends in one final state', async () => {
    h = await startShipgate({ noWorker: true });
    const doomed = h.shipgate.spawnWorker();
    try {
      h.deployTarget.answerNext('hang');
      await h.slack.command(alice, '/promote web 3.1.0 to development');
      await eventually(() => expect(h.deployTarget.calls).toHaveLength(1), { timeoutMs: 20_000 });
      doomed.kill('SIGKILL');
      expect(await doomed.exited).toBeNull();

      await h.shipgate.startWorker();
      await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('3.1.0'), { timeoutMs: 20_000 });
      const [first, second] = h.deployTarget.calls;
      expect(first!.headers['idempotency-key']).toBe(second!.headers['idempotency-key']);
      expect(second!.body).toEqual(first!.body);
      await sleep(1500); // one more stalled-check cycle: nothing runs twice more
      expect(h.deployTarget.calls).toHaveLength(2);
      const record = await h.shipgate.promotion(first!.body.promotion_id);
      expect(record.state).toBe('deployed');
      expect((await h.shipgate.auditEntries()).filter((e) => e.type === 'deployed')).toHaveLength(1);
    } finally {
      doomed.kill('SIGKILL');
    }
  });
});
