import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { loadApps, loadConfig } from '../support/promote-load.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const APPS = loadApps(120);

/** Commits of new promotions that met a concurrent change and had to decide again. */
async function createConflicts(h: Harness): Promise<number> {
  const counted = await h.shipgate.runtimeOptions.metrics!.commitConflicts.get();
  return counted.values.filter((v) => v.labels.kind === 'create').reduce((sum, v) => sum + v.value, 0);
}

describe('a burst of /promote requests', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('records every acknowledged request for distinct apps, each with its message, however many arrive at once', async () => {
    h = await startShipgate({ config: loadConfig(APPS.length), slackRate: { intervalMs: 1, burst: 1_000 } });
    const acks = await Promise.all(APPS.map((app) => h.slack.command(PEOPLE.alice, `/promote ${app} 1.0.0 to development`)));
    const acknowledged = APPS.filter((_, i) => acks[i]!.status === 200);
    expect(acknowledged).toHaveLength(APPS.length);

    await eventually(async () => expect(await h.shipgate.promotionCount()).toBe(acknowledged.length), { timeoutMs: 60_000, intervalMs: 100 });
    const recorded = await h.shipgate.store.recent(APPS.length);
    expect(recorded.map((p) => p.app).sort()).toEqual([...acknowledged].sort());
    // Nobody was told their request failed.
    expect(h.fake.responses.filter((r) => /could not|concurrent|went wrong/i.test(r.body.text ?? ''))).toEqual([]);

    // Each promotion's message is posted once, and its record knows where.
    await eventually(
      async () => {
        for (const p of await h.shipgate.store.recent(APPS.length)) {
          expect(p.message.ts, `${p.id} (${p.app}) has no message yet`).not.toBeNull();
          expect(h.fake.topLevelIn('C0LOAD').find((m) => m.ts === p.message.ts)?.text).toContain(p.app);
        }
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(h.fake.topLevelIn('C0LOAD')).toHaveLength(APPS.length);
    expect(await h.shipgate.audit.verify()).toMatchObject({ ok: true });
    // Promotions of distinct apps share nothing a commit relies on: none of them had to decide twice.
    expect(await createConflicts(h)).toBe(0);
  }, 120_000);

  it('loses nothing in the usual mix: duplicates, status and help among new requests, and one app asked for over and over', async () => {
    h = await startShipgate({ config: loadConfig(40), slackRate: { intervalMs: 1, burst: 1_000 }, replicas: 1 });
    const apps = loadApps(40);
    const [first, second] = h.shipgate.receivers;
    const texts = [
      ...apps.map((app) => `/promote ${app} 1.0.0 to development`),
      // The same request again, on the other replica: one of the two is refused as a duplicate.
      ...apps.slice(0, 10).map((app) => `/promote ${app} 1.0.0 to development`),
      // One app asked for thirty times with new versions: each newer request sets aside the one before.
      ...Array.from({ length: 30 }, (_, i) => `/promote svc40 2.0.${i} to development`),
      ...Array.from({ length: 10 }, () => '/promote status'),
      ...Array.from({ length: 10 }, () => '/promote help'),
    ];
    const acks = await Promise.all(texts.map((text, i) => h.slack.command(PEOPLE.alice, text, { url: i % 2 === 0 ? first : second })));
    expect(acks.every((a) => a.status === 200)).toBe(true);

    // Every request that changes something gets its answer, and none of them is an error.
    const changing = texts.filter((t) => !/status|help/.test(t)).length;
    await eventually(() => expect(h.fake.responses.filter((r) => r.user === PEOPLE.alice).length).toBeGreaterThanOrEqual(changing + 10), { timeoutMs: 60_000, intervalMs: 100 });
    expect(h.fake.responses.filter((r) => /internal error|concurrent/i.test(r.body.text ?? ''))).toEqual([]);

    // Each distinct app has its promotion; svc40 ends with one request in flight, the rest set aside or refused, none lost.
    const recorded = await h.shipgate.store.recent(200);
    expect(new Set(recorded.map((p) => p.app))).toEqual(new Set(apps));
    // Every promotion a reply named as accepted is there.
    const acceptedIds = h.fake.responses.flatMap((r) => [...(r.body.text ?? '').matchAll(/^(?:Asked for|Deploying) .*\((sg-\d+)\)/g)].map((m) => m[1]!));
    expect(acceptedIds.length).toBeGreaterThanOrEqual(apps.length);
    const recordedIds = new Set(recorded.map((p) => p.id));
    expect(acceptedIds.filter((id) => !recordedIds.has(id))).toEqual([]);
    expect(recorded.filter((p) => p.app === 'svc40' && ['requested', 'checking', 'awaiting_approval', 'deploying', 'deployed'].includes(p.state)).length).toBeGreaterThanOrEqual(1);
    expect(await h.shipgate.audit.verify()).toMatchObject({ ok: true });
  }, 120_000);
});
