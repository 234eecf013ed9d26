import { CronExpressionParser } from 'cron-parser';
import { wallYear, type Freeze, type FreezeSource } from './freeze.js';
import type { WallTime } from './zone.js';

const MAX_OCCURRENCES_PER_YEAR = 20_000;

/**
 * A recurring freeze (GitLab style): from each `cron_start` occurrence to the first
 * `cron_end` occurrence after it. Both expressions are matched against local
 * wall-clock time by running cron-parser in UTC on the wall-clock timeline, so DST
 * never moves, skips or doubles an occurrence: `0 2 * * *` on a spring-forward day
 * marks 02:00 local, which does not exist, so the boundary takes effect when the
 * clock jumps; on a fall-back day both passes through the repeated hour are inside.
 */
export class CronFreeze implements FreezeSource {
  constructor(
    private readonly name: string,
    private readonly cronStart: string,
    private readonly cronEnd: string,
    private readonly allow: readonly string[] = [],
  ) {}

  /** Throws with cron-parser's message when an expression is not valid. */
  static validate(expression: string): void {
    CronExpressionParser.parse(expression, { tz: 'UTC', strict: false });
  }

  private after(expression: string, wall: WallTime): WallTime | null {
    const it = CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: new Date(wall) });
    return it.hasNext() ? it.next().getTime() : null;
  }

  private before(expression: string, wall: WallTime): WallTime | null {
    const it = CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: new Date(wall) });
    return it.hasPrev() ? it.prev().getTime() : null;
  }

  freezesOverlapping(year: number): readonly Freeze[] {
    const range = wallYear(year);
    const out: Freeze[] = [];
    const rule = `freeze:${this.name}`;
    const first = this.before(this.cronStart, range.start + 1) ?? this.after(this.cronStart, range.start - 1);
    let start = first;
    for (let n = 0; start !== null && start < range.end && n < MAX_OCCURRENCES_PER_YEAR; n++) {
      const end = this.after(this.cronEnd, start);
      if (end === null) break;
      if (end > range.start) out.push({ basis: 'wall', start, end, rule, name: this.name, ...(this.allow.length > 0 ? { allow: this.allow } : {}) });
      start = this.after(this.cronStart, start);
    }
    return out;
  }
}
