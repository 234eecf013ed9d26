import ms from 'ms';
import type { Instant } from '../domain/promotion.js';
import { failed, passed, type Gate, type GateContext, type GateVerdict, type GateWait } from './gate.js';

/** What the soak gate needs to know: what runs where since when, and alerts seen since then. */
export interface SoakFacts {
  deployed(app: string, environment: string): Promise<{ version: string; at: Instant } | null>;
  alertsSince(app: string, environment: string, since: Instant): Promise<number>;
}

export interface SoakGateConfig {
  in: string;
  atLeastMs: number;
  withoutAlerts: boolean;
}

/** A short duration such as 35m, 2h or 3s, by the ms package. */
function duration(value: number): string {
  const seconds = Math.max(0, Math.round(value / 1000));
  return seconds === 0 ? '0s' : ms(seconds * 1000);
}

/** The version must have run in `in` for at least `atLeast`, without alerts if asked; until then, the gate waits. */
export function judgeSoak(
  config: SoakGateConfig,
  version: string,
  live: { version: string; at: Instant } | null,
  alerts: number,
  now: Instant,
): GateVerdict | GateWait {
  if (!live || live.version !== version) return failed(`${version} is not running in ${config.in}${live ? ` (it runs ${live.version})` : ''}`, null);
  if (config.withoutAlerts && alerts > 0) return failed(`${alerts} alert${alerts === 1 ? '' : 's'} in ${config.in} since ${version} was deployed`, null);
  const soaked = now - live.at;
  if (soaked < config.atLeastMs) {
    return { status: 'wait', until: live.at + config.atLeastMs, summary: `soaking in ${config.in}: ${duration(soaked)} of ${duration(config.atLeastMs)}` };
  }
  return passed(`soaked ${duration(soaked)} in ${config.in} (≥ ${duration(config.atLeastMs)})${config.withoutAlerts ? ', no alerts' : ''}`, null);
}

export class SoakGate implements Gate {
  constructor(
    private readonly config: SoakGateConfig,
    private readonly facts: SoakFacts,
  ) {}

  async run(ctx: GateContext) {
    const live = await this.facts.deployed(ctx.app, this.config.in);
    const alerts = live && this.config.withoutAlerts ? await this.facts.alertsSince(ctx.app, this.config.in, live.at) : 0;
    return judgeSoak(this.config, ctx.version, live, alerts, ctx.now);
  }
}
