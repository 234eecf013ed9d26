import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registerDeliveryMetrics } from '../../src/delivery-metrics.js';
import { createMetrics } from '../../src/metrics.js';

const run = promisify(execFile);
const RULES = 'deploy/prometheus/shipgate-rules.yml';
const RULE_TESTS = 'deploy/prometheus/shipgate-rules.test.yml';

/** Every series name Shipgate's /metrics can carry (histograms as their _bucket, _count and _sum). */
function exportedNames(): Set<string> {
  const { registry } = createMetrics();
  registerDeliveryMetrics(registry, () => Promise.reject(new Error('not read here')));
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(`${name}${suffix}`);
  }
  return names;
}

const namesIn = (expr: string) => expr.match(/\bshipgate_[a-z_]+/g) ?? [];

type RuleFile = { groups: { rules: { alert: string; expr: string }[] }[] };
const rules = (parse(readFileSync(RULES, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);
type Dashboard = { templating: { list: { name: string }[] }; panels: { title: string; targets: { expr: string }[] }[] };
const dashboard = JSON.parse(readFileSync('deploy/grafana/shipgate.json', 'utf8')) as Dashboard;

describe('deploy/prometheus/shipgate-rules.yml', () => {
  it('passes promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', RULES]);
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('passes its promtool unit tests: each rule fires on what it is for and not otherwise', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', RULE_TESTS]);
    expect(stdout).toContain('SUCCESS');
  });

  it('has the alerts the runbook promises, over metrics Shipgate exports', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(['ShipgateEmergencyProductionDeployment', 'ShipgateFailedPromotionsSpike', 'ShipgateApprovalsPendingTooLong', 'ShipgateDriftDetected', 'ShipgateQueueBacklog', 'ShipgateAuditVerificationFailing']),
    );
    const exported = exportedNames();
    const used = rules.flatMap((r) => namesIn(r.expr));
    expect(used.filter((n) => !exported.has(n))).toEqual([]);
    // Every rule collapses the replicas, which all report the same stored figures.
    for (const rule of rules) expect({ alert: rule.alert, dedup: rule.expr.includes('max without (instance, pod)') }).toEqual({ alert: rule.alert, dedup: true });
  });
});

describe('deploy/grafana/shipgate.json', () => {
  it('charts each figure per environment over metrics Shipgate exports, with a data source, environment and app chosen on the page', () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'environment', 'app']);
    const titles = dashboard.panels.map((p) => p.title).join('\n');
    for (const topic of [/Deployments/, /Lead time/, /Change failure rate/, /Time to restore/, /Drift/, /Approvals pending/, /Queue health/]) expect(titles).toMatch(topic);
    const exported = exportedNames();
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => namesIn(t.expr)));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((n) => !exported.has(n))).toEqual([]);
  });
});
