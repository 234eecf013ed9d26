import type { Clock } from '../service/ports.js';

/** The playground's clock: real time plus an offset the page can move forward (never back). */
export class MovableClock implements Clock {
  private offset = 0;

  now(): number {
    return Date.now() + this.offset;
  }

  advance(ms: number): void {
    if (!(ms > 0)) throw new Error('The playground clock only moves forward.');
    this.offset += ms;
  }

  get offsetMs(): number {
    return this.offset;
  }
}
