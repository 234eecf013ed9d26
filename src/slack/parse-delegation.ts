import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import customParseFormat from 'dayjs/plugin/customParseFormat.js';

dayjs.extend(utc);
dayjs.extend(customParseFormat);

export type DelegationCommand =
  | { type: 'delegate'; delegate: string; until: number; environments: string[] }
  | { type: 'undelegate'; delegate: string }
  | { type: 'delegations' };

type Parsed = { ok: true; value: DelegationCommand } | { ok: false; problem: string; example: string };

const NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
/** A person as Slack escapes a mention in command text: `<@U123>` or `<@U123|name>`. */
const MENTION = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/;
const EXAMPLE = '/promote delegate @person until 2026-12-24 [ENV…]';

/** A date is until the end of that day (UTC); a time is until then. */
function untilOf(text: string): number | null {
  const day = dayjs.utc(text, 'YYYY-MM-DD', true);
  if (day.isValid()) return day.add(1, 'day').valueOf();
  const moment = [dayjs.utc(text, 'YYYY-MM-DDTHH:mm[Z]', true), dayjs.utc(text, 'YYYY-MM-DDTHH:mm', true)].find((m) => m.isValid());
  return moment ? moment.valueOf() : null;
}

function personOf(word: string | undefined): string | null {
  return MENTION.exec(word ?? '')?.[1] ?? null;
}

const personProblem = (word: string | undefined) => `\`${word ?? ''}\` is not a person: mention them, as in \`@rita\` (Slack sends it as <@U…>).`;

/** `delegate @person until DATE [ENV…]`, `undelegate @person`, `delegations`. */
export function parseDelegation(verb: 'delegate' | 'undelegate' | 'delegations', words: string[]): Parsed {
  if (verb === 'delegations') return words.length === 0 ? { ok: true, value: { type: 'delegations' } } : { ok: false, problem: '`delegations` takes nothing after it.', example: '/promote delegations' };
  const delegate = personOf(words[0]);
  if (verb === 'undelegate') {
    if (!delegate || words.length !== 1) return { ok: false, problem: delegate ? '`undelegate` takes one person.' : personProblem(words[0]), example: '/promote undelegate @person' };
    return { ok: true, value: { type: 'undelegate', delegate } };
  }
  if (!delegate) return { ok: false, problem: personProblem(words[0]), example: EXAMPLE };
  if (words[1]?.toLowerCase() !== 'until' || !words[2]) return { ok: false, problem: 'Say until when: `until YYYY-MM-DD` (the end of that day, UTC) or `until YYYY-MM-DDTHH:mmZ`.', example: EXAMPLE };
  const until = untilOf(words[2]);
  if (until === null) return { ok: false, problem: `\`${words[2]}\` is not a date: write YYYY-MM-DD (the end of that day, UTC) or YYYY-MM-DDTHH:mmZ.`, example: EXAMPLE };
  const environments = words.slice(3).map((w) => w.toLowerCase());
  const bad = environments.find((e) => !NAME.test(e));
  if (bad) return { ok: false, problem: `\`${bad}\` is not an environment name.`, example: EXAMPLE };
  return { ok: true, value: { type: 'delegate', delegate, until, environments } };
}
