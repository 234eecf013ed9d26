import { isValidVersion, VERSION_HINT } from '../domain/version.js';
import { HELP_TEXT } from './views/help.js';
import { MAX_AD_HOC_FREEZE_MS } from '../domain/ad-hoc-freeze.js';
import { parseDelegation, type DelegationCommand } from './parse-delegation.js';

export type PromoteCommand =
  | { type: 'promote'; app: string; version: string; environment: string; reason: string; emergency: boolean; forceBad: boolean }
  | { type: 'calendar'; environment: string }
  | { type: 'rollback'; app: string; environment: string; version: string | null; reason: string }
  | { type: 'rehearse'; app: string; environment: string }
  | { type: 'status'; app: string | null }
  | { type: 'cancel'; id: string }
  | { type: 'report'; names: string[]; sinceMs: number }
  | { type: 'lock'; environment: string; app: string | null; reason: string }
  | { type: 'unlock'; environment: string; app: string | null }
  | { type: 'refresh'; dataset: string; from: string; to: string; reason: string }
  | { type: 'freeze'; environment: string; durationMs: number; allow: string[]; reason: string }
  | { type: 'unfreeze'; environment: string }
  | DelegationCommand
  | { type: 'help' }
  | { type: 'modal' };

export type Parsed = { ok: true; value: PromoteCommand } | { ok: false; error: string };

const NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const ID = /^sg-\d+$/;

const usage = (problem: string, example: string): Parsed => ({ ok: false, error: `${problem}\nTry: \`${example}\`\n\n${HELP_TEXT}` });

/** Reads the text after `/promote`. Pure: knows the grammar, not the configuration. */
export function parsePromoteCommand(text: string): Parsed {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [first, ...rest] = words;
  if (first === undefined) return { ok: true, value: { type: 'modal' } };
  switch (first.toLowerCase()) {
    case 'help':
      return { ok: true, value: { type: 'help' } };
    case 'status': {
      if (rest.length > 1 || (rest[0] !== undefined && !NAME.test(rest[0]))) return usage('`status` takes at most one app name.', '/promote status web');
      return { ok: true, value: { type: 'status', app: rest[0] ?? null } };
    }
    case 'cancel': {
      const id = rest[0]?.toLowerCase();
      if (rest.length !== 1 || !id || !ID.test(id)) return usage('`cancel` takes one promotion id, such as sg-12.', '/promote cancel sg-12');
      return { ok: true, value: { type: 'cancel', id } };
    }
    case 'rollback':
      return parseRollback(rest);
    case 'rehearse':
      return parseRehearse(rest);
    case 'lock':
    case 'unlock':
      return parseLock(first.toLowerCase() as 'lock' | 'unlock', rest);
    case 'freeze':
      return parseFreeze(rest);
    case 'unfreeze': {
      const environment = rest[0]?.toLowerCase();
      if (rest.length !== 1 || !environment || !NAME.test(environment)) return usage('`unfreeze` takes one environment.', '/promote unfreeze production');
      return { ok: true, value: { type: 'unfreeze', environment } };
    }
    case 'report':
      return parseReport(rest);
    case 'refresh':
      return parseRefresh(rest);
    case 'delegate':
    case 'undelegate':
    case 'delegations': {
      const parsed = parseDelegation(first.toLowerCase() as 'delegate' | 'undelegate' | 'delegations', rest);
      return parsed.ok ? parsed : usage(parsed.problem, parsed.example);
    }
    case 'calendar': {
      const environment = rest[0]?.toLowerCase();
      if (rest.length !== 1 || !environment || !NAME.test(environment)) return usage('`calendar` takes one environment.', '/promote calendar production');
      return { ok: true, value: { type: 'calendar', environment } };
    }
    default:
      return parsePromotion(words);
  }
}

function parsePromotion(words: string[]): Parsed {
  const example = '/promote web 1.4.2 to production reason…';
  const [app, version, maybeTo, ...tail] = words;
  if (!app || !NAME.test(app)) return usage(`\`${app ?? ''}\` is not an app name or a command.`, example);
  if (!version) return usage('Say which version to promote.', example);
  if (!isValidVersion(version)) return usage(`\`${version}\` is not a version: ${VERSION_HINT}.`, example);
  const [environment, ...reason] = maybeTo?.toLowerCase() === 'to' ? tail : [maybeTo, ...tail];
  if (!environment) return usage('Say which environment to promote to.', example);
  if (!NAME.test(environment)) return usage(`\`${environment}\` is not an environment name.`, example);
  const flags = new Set(reason.filter((w): w is string => w !== undefined && w.startsWith('--')).map((w) => w.toLowerCase()));
  const unknown = [...flags].filter((f) => f !== '--emergency' && f !== '--force-bad');
  if (unknown.length > 0) return usage(`\`${unknown[0]}\` is not an option: use --emergency or --force-bad.`, example);
  const said = reason.filter((w): w is string => w !== undefined && !w.startsWith('--'));
  return { ok: true, value: { type: 'promote', app, version, environment, reason: said.join(' '), emergency: flags.has('--emergency'), forceBad: flags.has('--force-bad') } };
}

function parseRollback(words: string[]): Parsed {
  const example = '/promote rollback web production [to 1.4.1]';
  const [app, environment, ...tail] = words;
  if (!app || !environment || !NAME.test(app) || !NAME.test(environment)) return usage('`rollback` takes an app and an environment.', example);
  let version: string | null = null;
  let reason = tail;
  if (tail[0]?.toLowerCase() === 'to') {
    version = tail[1] ?? null;
    if (!version || !isValidVersion(version)) return usage(`\`${version ?? ''}\` is not a version: ${VERSION_HINT}.`, example);
    reason = tail.slice(2);
  }
  return { ok: true, value: { type: 'rollback', app, environment, version, reason: reason.join(' ') } };
}

/** `rehearse rollback APP ENV`: a rollback drill, back to the version known good and forward again. */
function parseRehearse(words: string[]): Parsed {
  const example = '/promote rehearse rollback web staging';
  const [what, app, environment, ...extra] = words;
  if (what?.toLowerCase() !== 'rollback') return usage('`rehearse` rehearses a rollback: say `rehearse rollback APP ENV`.', example);
  if (!app || !environment || extra.length > 0 || !NAME.test(app) || !NAME.test(environment.toLowerCase())) return usage('`rehearse rollback` takes an app and an environment.', example);
  return { ok: true, value: { type: 'rehearse', app, environment: environment.toLowerCase() } };
}

/**
 * `lock ENV [APP] reason…` and `unlock ENV [APP]`. Whether the second word is an app or
 * the reason's first word is for the configuration to say, so both are passed on:
 * `app` is that word when it could be a name, and the runner decides.
 */
function parseLock(verb: 'lock' | 'unlock', words: string[]): Parsed {
  const example = verb === 'lock' ? '/promote lock production [web] reason…' : '/promote unlock production [web]';
  const [env, ...tail] = words;
  const environment = env?.toLowerCase();
  if (!environment || !NAME.test(environment)) return usage(`\`${verb}\` takes an environment${verb === 'lock' ? ', an optional app and a reason' : ' and an optional app'}.`, example);
  const second = tail[0]?.toLowerCase();
  const app = second !== undefined && NAME.test(second) ? second : null;
  if (verb === 'unlock') {
    if (tail.length > 1 || (tail.length === 1 && app === null)) return usage('`unlock` takes an environment and an optional app.', example);
    return { ok: true, value: { type: 'unlock', environment, app } };
  }
  return { ok: true, value: { type: 'lock', environment, app, reason: tail.join(' ') } };
}

/** `refresh DATASET from ENV to ENV [reason…]`: both words are required, so the two environments cannot be swapped by mistake. */
function parseRefresh(words: string[]): Parsed {
  const example = '/promote refresh customers from production to staging reason…';
  const [dataset, fromWord, from, toWord, to, ...reason] = words;
  if (!dataset || !NAME.test(dataset.toLowerCase())) return usage('`refresh` takes a dataset, `from` an environment and `to` another.', example);
  if (fromWord?.toLowerCase() !== 'from' || !from || !NAME.test(from.toLowerCase())) return usage('Say where the data comes from: `from ENV`.', example);
  if (toWord?.toLowerCase() !== 'to' || !to || !NAME.test(to.toLowerCase())) return usage('Say where the data goes: `to ENV`.', example);
  return { ok: true, value: { type: 'refresh', dataset: dataset.toLowerCase(), from: from.toLowerCase(), to: to.toLowerCase(), reason: reason.join(' ') } };
}

/** A Slack user or user group id, as typed or as Slack escapes a mention (`<@U123|name>`, `<!subteam^S123|@team>`). */
const PERSON = /^(?:<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>|([UWS][A-Z0-9]+))$/;

/** `30m`, `2h`, `1d` in milliseconds; null when not such a duration. */
function parseFreezeDuration(text: string): number | null {
  const m = /^(\d{1,5})(m|h|d)$/.exec(text.toLowerCase());
  return m ? Number(m[1]) * { m: 60_000, h: 3_600_000, d: DAY_MS }[m[2] as 'm' | 'h' | 'd'] : null;
}

/** `freeze ENV for DURATION [--allow ID,…] reason…`: `for` may be left out; `--allow` may come anywhere after the duration, more than once. */
function parseFreeze(words: string[]): Parsed {
  const example = '/promote freeze production for 2h [--allow S0ONCALL] reason…';
  const [env, ...tail] = words;
  const environment = env?.toLowerCase();
  if (!environment || !NAME.test(environment)) return usage('`freeze` takes an environment, a duration and a reason.', example);
  const rest = tail[0]?.toLowerCase() === 'for' ? tail.slice(1) : tail;
  const [length, ...after] = rest;
  if (length === undefined) return usage(`Say how long ${environment} stays frozen, such as 30m, 2h or 1d.`, example);
  const durationMs = parseFreezeDuration(length);
  if (durationMs === null) return usage(`\`${length}\` is not a duration: write minutes, hours or days, such as 30m, 2h or 1d.`, example);
  if (durationMs <= 0) return usage('A freeze needs a length: write at least 1m.', example);
  if (durationMs > MAX_AD_HOC_FREEZE_MS) return usage(`An ad-hoc freeze lasts at most ${MAX_AD_HOC_FREEZE_MS / DAY_MS}d; put a longer one in the calendar file.`, example);
  const allow: string[] = [];
  const reason: string[] = [];
  for (let i = 0; i < after.length; i++) {
    const word = after[i]!;
    if (word.toLowerCase() === '--allow') {
      const ids = (after[++i] ?? '').split(',').filter(Boolean);
      const people = ids.map((id) => PERSON.exec(id)).map((m) => (m ? (m[1] ?? m[2] ?? m[3])! : null));
      if (people.length === 0 || people.includes(null)) return usage('`--allow` takes Slack user ids (U…) or user group ids (S…), separated by commas.', example);
      allow.push(...(people as string[]));
    } else if (word.startsWith('--')) {
      return usage(`\`${word}\` is not an option of \`freeze\`: use --allow.`, example);
    } else reason.push(word);
  }
  return { ok: true, value: { type: 'freeze', environment, durationMs, allow, reason: reason.join(' ') } };
}

const DAY_MS = 86_400_000;
/** The delivery figures read the promotions of the period: a longer one costs more on every report. */
export const REPORT_MAX_DAYS = 90;

/** `7d`, `2w`, `48h` in milliseconds, or null when not such a period (or longer than REPORT_MAX_DAYS). */
export function parsePeriod(text: string): number | null {
  const m = /^(\d{1,4})(h|d|w)$/.exec(text.toLowerCase());
  if (!m) return null;
  const value = Number(m[1]) * { h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS }[m[2] as 'h' | 'd' | 'w'];
  return value > 0 && value <= REPORT_MAX_DAYS * DAY_MS ? value : null;
}

/** `report [APP] [ENV] [--since 30d]`: which name is an app and which an environment is for the configuration to say. */
function parseReport(words: string[]): Parsed {
  const example = '/promote report web production --since 30d';
  let sinceMs = 30 * DAY_MS;
  const names: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word.toLowerCase() === '--since') {
      const period = parsePeriod(words[++i] ?? '');
      if (period === null) return usage(`\`--since\` takes a period such as 7d, 2w or 48h, at most ${REPORT_MAX_DAYS}d.`, example);
      sinceMs = period;
    } else if (word.startsWith('--')) {
      return usage(`\`${word}\` is not an option of \`report\`: use --since.`, example);
    } else if (!NAME.test(word.toLowerCase()) || names.length === 2) {
      return usage('`report` takes at most an app and an environment.', example);
    } else names.push(word.toLowerCase());
  }
  return { ok: true, value: { type: 'report', names, sinceMs } };
}
