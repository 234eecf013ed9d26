/** A Berlin office calendar: weekday windows, a year-end freeze, a weekend cron freeze and Berlin's holidays. */
export const BERLIN_OFFICE = `
timezone: Europe/Berlin
windows:
  - days: [mon, tue, wed, thu]
    start: "09:00"
    end: "17:00"
freezes:
  - name: Year-end freeze
    start: 2026-12-18T00:00
    end: 2027-01-04T09:00
  - name: Weekend
    cron_start: "0 18 * * FRI"
    cron_end: "0 8 * * MON"
holidays: { country: DE, region: BE }
`;
