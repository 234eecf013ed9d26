import Holidays from 'date-holidays';
import { wallYear, type Freeze, type FreezeSource } from './freeze.js';
import { DAY } from './zone.js';

/** Public holidays of a country (and region) from date-holidays; each freezes its whole local day. */
export class HolidayFreeze implements FreezeSource {
  private readonly holidays: Holidays;

  constructor(country: string, region?: string) {
    this.holidays = region ? new Holidays(country, region) : new Holidays(country);
  }

  static isSupported(country: string, region?: string): boolean {
    const countries = new Holidays().getCountries() ?? {};
    if (!(country in countries)) return false;
    return region === undefined || region in (new Holidays().getStates(country) ?? {});
  }

  freezesOverlapping(year: number): readonly Freeze[] {
    const range = wallYear(year);
    const days = [...(this.holidays.getHolidays(year - 1, 'en') ?? []), ...(this.holidays.getHolidays(year, 'en') ?? [])];
    return days
      .filter((h) => h.type === 'public')
      .map((h): Freeze => {
        const [y, m, d] = h.date.slice(0, 10).split('-').map(Number) as [number, number, number];
        const start = Date.UTC(y, m - 1, d);
        return { basis: 'wall', start, end: start + DAY, rule: `holiday:${h.name}`, name: h.name };
      })
      .filter((f) => f.start < range.end && f.end > range.start);
  }
}
