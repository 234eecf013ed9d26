import { describe, expect, it } from 'vitest';
import { parsePeriod, parsePromoteCommand } from '../../src/slack/parse-command.js';

const DAY = 86_400_000;

describe('/promote report', () => {
  it.each([
    ['report', [], 30 * DAY],
    ['report web', ['web'], 30 * DAY],
    ['REPORT web Production --since 7d', ['web', 'production'], 7 * DAY],
    ['report --since 2w production', ['production'], 14 * DAY],
    ['report --SINCE 48h', [], 2 * DAY],
  ])('reads %j', (text, names, sinceMs) => {
    expect(parsePromoteCommand(text)).toEqual({ ok: true, value: { type: 'report', names, sinceMs } });
  });

  it.each([
    ['report web production extra', /at most an app and an environment/],
    ['report --since', /takes a period such as 7d/],
    ['report --since 91d', /at most 90d/],
    ['report --since 0d', /takes a period/],
    ['report --json', /not an option of `report`/],
    ['report we$b', /at most an app and an environment/],
  ])('refuses %j with what to type instead', (text, problem) => {
    const parsed = parsePromoteCommand(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(problem);
    if (!parsed.ok) expect(parsed.error).toContain('/promote report web production --since 30d');
  });

  it('reads periods in hours, days and weeks, up to 90 days', () => {
    expect([parsePeriod('1h'), parsePeriod('90d'), parsePeriod('13w'), parsePeriod('30')]).toEqual([3_600_000, 90 * DAY, null, null]);
  });
});
