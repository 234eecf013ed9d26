import { afterEach, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/runtime.js';
import { eventually } from '../support/eventually.js';
import { countRoundTrips } from '../support/round-trips.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';

/** Group memberships stay cached for the whole test, so a click needs no Slack call. */
const cachedGroups = (url: string, prefix: string) => standardConfig(url, prefix).replace('usergroup_cache: 1s', 'usergroup_cache: 10m');

describe('an Approve click after its ack', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('decides, commits and queues what follows in at most three Redis round trips, on a replica that never saw the promotion', async () => {
    h = await startShipgate({ config: cachedGroups });
    await h.bring('1.0.0', 'staging');
    const { message } = await h.ask(PEOPLE.alice, '/promote web 1.0.0 to production', 'C0PROD');
    const id = (await h.shipgate.promotion(message)).id;
    await eventually(async () => expect((await h.shipgate.promotion(id)).state).toBe('awaiting_approval'));
    // A first approver's click fills the group cache, as any earlier click would have.
    await h.slack.click(PEOPLE.raj, message, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(id)).approvals).toHaveLength(1));

    // A second replica, which has never read this promotion: what Rita's click costs it after the ack.
    const replica = new Runtime(h.shipgate.runtimeOptions, 'http');
    try {
      await replica.redis.ping();
      const trips = countRoundTrips(replica.redis);
      const outcome = await replica.service.approve(id, PEOPLE.rita);
      expect(outcome).toMatchObject({ ok: true });
      expect(trips.count()).toBeLessThanOrEqual(3);

      // The commit made the change, its audit entry and what follows (the deployment) in those trips.
      const after = await h.shipgate.promotion(id);
      expect(after.approvals.map((a) => a.user)).toEqual([PEOPLE.raj, PEOPLE.rita]);
      expect(after.state).toBe('deploying');
      expect((await h.shipgate.auditEntriesOf('web', 'production')).filter((e) => e.promotion === id && e.type === 'approved').map((e) => e.actor)).toEqual([PEOPLE.raj, PEOPLE.rita]);
      await eventually(() => expect(h.deployTarget.calls.filter((c) => c.body.version === '1.0.0' && c.body.environment === 'production')).toHaveLength(1));
    } finally {
      await replica.close();
    }
  });
});
