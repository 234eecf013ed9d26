import type { Calendar, FreezeSpan } from './calendar/calendar.js';
import { describeAllow } from './ad-hoc-freeze.js';
import type { Instant, Promotion } from './promotion.js';
import { escapeMrkdwn } from './slack-text.js';

/** States of a promotion that has not deployed yet and would wait for a freeze. */
const HELD_STATES: readonly Promotion['state'][] = ['requested', 'checking', 'awaiting_approval', 'scheduled', 'blocked'];

/** Freezes of the calendar that start after `now` and within its notice lead time; none when notices are off. */
export function dueNotices(calendar: Calendar | null, now: Instant): FreezeSpan[] {
  const lead = calendar?.options.noticeMs ?? null;
  if (!calendar || lead === null) return [];
  return calendar.freezesBetween(now, now + lead).filter((f) => f.start > now && f.start <= now + lead);
}

/** The open promotions of the environment the freeze would hold (rollbacks pass freezes), oldest first. */
export function heldByComingFreeze(environment: string, active: readonly Promotion[]): Promotion[] {
  return active.filter((p) => p.environment === environment && p.kind === 'promote' && !p.emergency && HELD_STATES.includes(p.state)).sort((a, b) => a.requestedAt - b.requestedAt);
}

const date = (instant: Instant) => `<!date^${Math.floor(instant / 1000)}^{date_short_pretty} {time}|${new Date(instant).toISOString()}>`;

/** The notice in the environment's channel: which freeze, when, who may still deploy, and what it will hold. */
export function freezeNoticeText(environment: string, freeze: FreezeSpan, held: readonly Promotion[]): string {
  const lines = [`:ice_cube: *${escapeMrkdwn(environment)}* freezes ${date(freeze.start)} until ${date(freeze.end)}: ${escapeMrkdwn(freeze.name)}.`];
  if (freeze.allow.length > 0) lines.push(`Break-glass: ${describeAllow(freeze.allow)} may still deploy during it.`);
  if (held.length === 0) lines.push('No open promotion of this environment waits; nothing will be held.');
  else {
    lines.push(`These promotions will wait for the freeze to end unless they deploy before it starts:`);
    for (const p of held) lines.push(`• ${p.id}: ${escapeMrkdwn(p.app)} ${escapeMrkdwn(p.version)} (${p.state.replace('_', ' ')}, asked by <@${p.requester}>)`);
  }
  lines.push('Rollbacks still run.');
  return lines.join('\n');
}
