import ms from 'ms';
import { lastPassed, type DrillRecord } from '../domain/drill.js';
import type { Instant } from '../domain/promotion.js';
import { failed, passed, type Gate, type GateContext, type GateVerdict } from './gate.js';

/** What the rollback-rehearsed gate reads: the drills of an app in an environment (newest first), and the path. */
export interface RehearsalFacts {
  drills(app: string, environment: string): Promise<DrillRecord[]>;
  from(environment: string): string | null;
}

export interface RollbackRehearsedConfig {
  withinMs: number;
  /** Where the drill must have passed; null: the environment the promotion's environment takes versions from. */
  environment: string | null;
}

function ago(from: Instant, now: Instant): string {
  return ms(Math.max(1000, Math.round((now - from) / 1000) * 1000), { long: true });
}

/** When and how the drill went, as a release manager reads it. */
function described(d: DrillRecord, now: Instant): string {
  return `${new Date(d.finishedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC, ${ago(d.finishedAt, now)} ago (${d.id}, ${d.outcome.replace('_', ' ')})`;
}

/** Passes when the rollback path was rehearsed successfully in `environment` within the period. */
export function judgeRehearsal(config: RollbackRehearsedConfig, environment: string | null, drills: readonly DrillRecord[], now: Instant): GateVerdict {
  if (environment === null) return { status: 'error', summary: 'no environment to look at: this environment takes versions from none, so set `environment` on the gate', evidenceUrl: null };
  const period = ms(config.withinMs, { long: true });
  const good = lastPassed(drills);
  if (good && now - good.finishedAt <= config.withinMs) {
    return passed(`rollback rehearsed in ${environment} within ${period}: last drill ${described(good, now)}, ${good.current} → ${good.target} → ${good.current}`, null);
  }
  const last = drills[0];
  const lastSaid = last ? `last drill ${described(last, now)}` : 'no drill yet';
  const since = good && good !== last ? `; last passed ${described(good, now)}` : '';
  return failed(`rollback not rehearsed successfully in ${environment} within ${period}: ${lastSaid}${since}. Run \`/promote rehearse rollback APP ${environment}\``, null);
}

/** Blocks a promotion until its rollback path has been rehearsed (a drill that passed) recently enough. */
export class RollbackRehearsedGate implements Gate {
  constructor(
    private readonly config: RollbackRehearsedConfig,
    private readonly facts: RehearsalFacts,
  ) {}

  async run(ctx: GateContext) {
    const environment = this.config.environment ?? this.facts.from(ctx.environment);
    const drills = environment === null ? [] : await this.facts.drills(ctx.app, environment);
    const verdict = judgeRehearsal(this.config, environment, drills, ctx.now);
    return { ...verdict, summary: verdict.summary.replace('APP', ctx.app) };
  }
}
