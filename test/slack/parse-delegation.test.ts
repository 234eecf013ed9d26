import { describe, expect, it } from 'vitest';
import { parsePromoteCommand } from '../../src/slack/parse-command.js';

describe('/promote delegate, undelegate and delegations', () => {
  it('reads a mention, a date (to the end of that day, UTC) or a time, and environments', () => {
    expect(parsePromoteCommand('delegate <@U0RITA|rita> until 2026-12-24 Production staging')).toEqual({
      ok: true,
      value: { type: 'delegate', delegate: 'U0RITA', until: Date.parse('2026-12-25T00:00:00Z'), environments: ['production', 'staging'] },
    });
    expect(parsePromoteCommand('delegate <@U0RITA> until 2026-12-24T18:30Z')).toMatchObject({ ok: true, value: { until: Date.parse('2026-12-24T18:30:00Z'), environments: [] } });
    expect(parsePromoteCommand('undelegate <@U0RITA|rita>')).toEqual({ ok: true, value: { type: 'undelegate', delegate: 'U0RITA' } });
    expect(parsePromoteCommand('delegations')).toEqual({ ok: true, value: { type: 'delegations' } });
  });

  it.each([
    ['delegate @rita until 2026-12-24', /`@rita` is not a person: mention them/],
    ['delegate <@U0RITA> 2026-12-24', /Say until when/],
    ['delegate <@U0RITA> until 2026-02-30', /`2026-02-30` is not a date/],
    ['delegate <@U0RITA> until tomorrow', /`tomorrow` is not a date/],
    ['delegate <@U0RITA> until 2026-12-24 Prod!', /`prod!` is not an environment name/],
    ['undelegate', /`` is not a person/],
    ['delegations web', /`delegations` takes nothing after it/],
  ])('refuses `%s` and says what to type', (text, expected) => {
    const parsed = parsePromoteCommand(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(expected);
    expect(!parsed.ok && parsed.error).toMatch(/Try: `\/promote (un)?delegat/);
  });
});
