import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import type { CalendarReport } from '../../service/calendar-report.js';
import { describeAllow } from '../../domain/ad-hoc-freeze.js';
import { escapeMrkdwn, slackDate, user } from './mrkdwn.js';

dayjs.extend(utc);

/** `/promote calendar ENV`: open or closed, why, the next change, and the freezes of the coming weeks. Freeze names come from calendar files and ICS feeds, so they are escaped. */
export function calendarText(report: CalendarReport): string {
  const { environment, decision, nextOpen, nextClose, freezes, zone, adHoc } = report;
  if (zone === null) return `*${environment}* has no release calendar: it is always open.`;
  const adHocLines = adHoc.map((f) => `• :ice_cube: frozen by ${user(f.owner)} until ${slackDate(f.until)}: ${escapeMrkdwn(f.reason)}${f.allow.length ? ` (break-glass: ${describeAllow(f.allow)})` : ''}. Lift it with \`/promote unfreeze ${environment}\`.`);
  const lines = [
    decision.open ? `:large_green_circle: *${environment}* is open: ${escapeMrkdwn(decision.reason)}.` : `:red_circle: *${environment}* is closed: ${escapeMrkdwn(decision.reason)}.`,
  ];
  if (nextClose !== null) lines.push(`Closes ${slackDate(nextClose)}.`);
  if (nextOpen !== null) lines.push(`Opens ${slackDate(nextOpen)}.`);
  if (!decision.open && nextOpen === null) lines.push('No window opens within a year.');
  if (adHocLines.length > 0) lines.push('*Ad-hoc freeze*', ...adHocLines);
  if (freezes.length > 0) {
    lines.push(`*Freezes in the next ${report.weeks} weeks* (${zone}):`);
    for (const f of freezes) lines.push(`• ${escapeMrkdwn(f.name)}: ${slackDate(f.start)} → ${slackDate(f.end)}${f.allow.length ? ` (break-glass: ${describeAllow(f.allow)})` : ''}`);
  } else {
    lines.push(`No freezes in the next ${report.weeks} weeks.`);
  }
  return lines.join('\n');
}
