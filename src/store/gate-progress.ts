import type { Redis } from 'ioredis';
import type { GateProgress } from '../domain/gates.js';
import type { Keys } from './keys.js';

/**
 * What each gate of a running promotion shows while its run is under way: a field per
 * run and gate, written by the gate's job and read by the message renderer. Not a
 * transition and not audited: the verdicts enter the record and the audit once, when
 * the run settles, which also clears its fields (every run settles: each gate job has
 * a failure policy).
 */
export class GateProgressLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async show(id: string, run: number, gate: string, progress: GateProgress): Promise<void> {
    await this.redis.hset(this.keys.gateProgress(id), field(run, gate), JSON.stringify(progress));
  }

  /** The progress of RUN's gates, by gate name. */
  async of(id: string, run: number): Promise<Map<string, GateProgress>> {
    const prefix = field(run, '');
    const all = await this.redis.hgetall(this.keys.gateProgress(id));
    return new Map(Object.entries(all).flatMap(([f, json]) => (f.startsWith(prefix) ? [[f.slice(prefix.length), JSON.parse(json) as GateProgress]] : [])));
  }

  async clear(id: string, run: number, gates: readonly string[]): Promise<void> {
    if (gates.length > 0) await this.redis.hdel(this.keys.gateProgress(id), ...gates.map((g) => field(run, g)));
  }
}

function field(run: number, gate: string): string {
  return `r${run}:${gate}`;
}
