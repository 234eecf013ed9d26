import { Zone } from '../../src/domain/calendar/zone.js';
import { formatterFor, intlOffsetAt, scanTransitions } from '../../src/domain/calendar/zone-offsets.js';

/**
 * A zone converted the slow, direct way: one Intl formatting for every offset it needs,
 * and offset changes searched for on every call. The reference the zone's offset table
 * is checked against, and the baseline the calendar benchmark measures it against.
 */
export class IntlZone extends Zone {
  private readonly format = formatterFor(this.name);

  override offsetAt(instant: number): number {
    return intlOffsetAt(this.format, instant);
  }

  override transitionsBetween(from: number, to: number): number[] {
    return scanTransitions((at) => this.offsetAt(at), from, to);
  }
}
