import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';

dayjs.extend(utc);

/** A window's opening as people say it: `Tue 09:00 UTC` (UTC, so every reader and every host agree). */
export function windowName(opens: number): string {
  return dayjs.utc(opens).format('ddd HH:mm [UTC]');
}
