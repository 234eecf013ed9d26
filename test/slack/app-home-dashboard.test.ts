import { describe, expect, it } from 'vitest';
import { HOME_APPS_SHOWN, homeDashboard } from '../../src/domain/home-dashboard.js';
import type { DeployedVersion } from '../../src/domain/request.js';
import { appHome, HOME_BLOCK_LIMIT } from '../../src/slack/views/app-home.js';
import { NOW, policy, promotion } from '../domain/fixtures.js';

const NO_FIGURES = { figures: { pairs: [], approvalsPending: new Map<string, number>() }, promotions: [] };

function manyApps(count: number) {
  const base = policy();
  const apps = new Map(Array.from({ length: count }, (_, i) => [`app-with-a-rather-long-name-${i}`, { name: `app-with-a-rather-long-name-${i}` }]));
  const live = new Map<string, DeployedVersion>();
  for (const app of apps.keys()) for (const env of base.environments.keys()) live.set(`${app} ${env}`, { version: '10.20.30-build.4567', promotionId: 'sg-1', at: NOW });
  // Every app waits for production's approvers, so no line is short.
  const active = [...apps.keys()].map((app, i) => promotion({ id: `sg-${100 + i}`, app, state: 'awaiting_approval', environment: 'production', version: '10.20.31-build.4568' }));
  return { policy: { ...base, apps }, live, active };
}

describe('App Home with many apps', () => {
  it('lists 40 apps per environment and counts the other 20, within 100 blocks and 3,000 characters a section', () => {
    const { policy, live, active } = manyApps(60);
    const dashboard = homeDashboard(policy, { live, active }, NO_FIGURES, NOW);
    expect(dashboard.map((d) => [d.environment, d.apps.length, d.more])).toEqual([
      ['development', HOME_APPS_SHOWN, 20],
      ['staging', HOME_APPS_SHOWN, 20],
      ['production', HOME_APPS_SHOWN, 20],
    ]);
    expect(dashboard[2]!.counts).toEqual({ apps: 60, running: 60, waiting: 60, awaitingApproval: 60 });

    const view = appHome(dashboard, []);
    expect(view.blocks.length).toBeLessThanOrEqual(HOME_BLOCK_LIMIT);
    // Section texts and context elements, as Slack counts them.
    const texts = (view.blocks as { text?: { text: string }; elements?: { text?: string }[] }[]).flatMap((b) => (b.text ? [b.text.text] : (b.elements ?? []).flatMap((e) => (e.text ? [e.text] : []))));
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(3000);
    const summaries = texts.filter((t) => t.startsWith('60 apps'));
    expect(summaries).toEqual([
      '60 apps: 60 run a version, 0 promotions wait (0 for approvals). And 20 more apps: see `/promote status APP`.',
      '60 apps: 60 run a version, 0 promotions wait (0 for approvals). And 20 more apps: see `/promote status APP`.',
      '60 apps: 60 run a version, 60 promotions wait (60 for approvals). And 20 more apps: see `/promote status APP`.',
    ]);
    expect(texts.join('\n')).toContain('sg-100: 10.20.31-build.4568 awaiting approval, 0/2 approvals, waits on <!subteam^S0REL>, <@ULEAD>');
  });

  it('keeps within 100 blocks even when each environment would need more sections than its share', () => {
    const { policy, live, active } = manyApps(40);
    const environments = new Map(Array.from({ length: 20 }, (_, i) => [`env-${i}`, { ...policy.environments.get('production')!, name: `env-${i}` }]));
    const many = { ...policy, environments };
    const waitingEverywhere = [...environments.keys()].flatMap((env) => active.map((p) => ({ ...p, environment: env })));
    const view = appHome(homeDashboard(many, { live, active: waitingEverywhere }, NO_FIGURES, NOW), []);
    expect(view.blocks.length).toBeLessThanOrEqual(HOME_BLOCK_LIMIT);
    expect(JSON.stringify(view.blocks).includes("…more apps: see `/promote status APP`.")).toBe(true);
  });
});
