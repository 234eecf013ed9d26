import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideFreeze, decideUnfreeze, MAX_AD_HOC_FREEZE_MS, type AdHocFreeze } from '../../src/domain/ad-hoc-freeze.js';
import { Calendar } from '../../src/domain/calendar/calendar.js';
import { DatedFreeze } from '../../src/domain/calendar/freeze.js';
import { Zone } from '../../src/domain/calendar/zone.js';
import type { EnvironmentPolicy, Policy } from '../../src/domain/policy.js';
import { breakGlassAt, promotionCalendar } from '../../src/domain/promotion-calendar.js';
import { parsePromoteCommand } from '../../src/slack/parse-command.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-01T10:00:00Z');
const approvals = { required: 1, approvers: ['URITA', 'S0REL'], selfApproval: false, expireAfterMs: null };
const production: EnvironmentPolicy = { name: 'production', from: 'staging', channel: 'C0PROD', approvals, rollback: approvals, emergency: null, calendar: null, rollbackRespectsCalendar: false, autoRollback: null, gates: [] };
const policy: Policy = { apps: new Map([['web', { name: 'web' }]]), environments: new Map([['production', production]]), configHash: 'h' };
const ask = { environment: 'production', user: 'URITA', memberOf: [], now: NOW };

describe('/promote freeze, the grammar', () => {
  it.each([
    ['freeze production for 2h incident', { type: 'freeze', environment: 'production', durationMs: 2 * HOUR, allow: [], reason: 'incident' }],
    ['freeze Production 30m --allow S0ONCALL,U0RAJ launch day', { type: 'freeze', environment: 'production', durationMs: 30 * 60_000, allow: ['S0ONCALL', 'U0RAJ'], reason: 'launch day' }],
    ['freeze production for 1d launch --allow <!subteam^S0ONCALL|@oncall> --allow <@U0RAJ|raj>', { type: 'freeze', environment: 'production', durationMs: 24 * HOUR, allow: ['S0ONCALL', 'U0RAJ'], reason: 'launch' }],
    ['unfreeze production', { type: 'unfreeze', environment: 'production' }],
  ])('reads "%s"', (text, value) => {
    expect(parsePromoteCommand(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['freeze', /`freeze` takes an environment/],
    ['freeze production', /Say how long production stays frozen/],
    ['freeze production for soon', /`soon` is not a duration/],
    ['freeze production for 0m x', /A freeze needs a length/],
    ['freeze production for 15d x', /at most 14d/],
    ['freeze production for 2h --allow x', /`--allow` takes Slack user ids/],
    ['freeze production for 2h --force x', /`--force` is not an option of `freeze`/],
    ['unfreeze', /`unfreeze` takes one environment/],
    ['unfreeze production now', /`unfreeze` takes one environment/],
  ])('refuses "%s"', (text, problem) => {
    const parsed = parsePromoteCommand(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(problem);
  });

  it('never accepts a duration beyond the limit, and accepts every one within it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99_999 }), fc.constantFrom('m', 'h', 'd'), (n, unit) => {
        const ms = n * { m: 60_000, h: HOUR, d: 24 * HOUR }[unit];
        const parsed = parsePromoteCommand(`freeze production for ${n}${unit} reason`);
        expect(parsed.ok).toBe(ms <= MAX_AD_HOC_FREEZE_MS);
      }),
    );
  });
});

describe('ad-hoc freeze decisions', () => {
  const freeze = (over: Partial<Parameters<typeof decideFreeze>[0]> = {}, stored: AdHocFreeze[] = []) => decideFreeze({ ...ask, durationMs: 2 * HOUR, allow: [], reason: 'incident', ...over }, policy, stored);

  it('takes a freeze from now for its duration, and refuses a second one while it holds', () => {
    const taken = freeze();
    expect(taken).toMatchObject({ kind: 'accept', freezes: [{ owner: 'URITA', from: NOW, until: NOW + 2 * HOUR }], audit: { type: 'frozen' } });
    expect(freeze({ user: 'URITA' }, taken.kind === 'accept' ? taken.freezes : [])).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/already frozen/) });
    // Once it has run out, a new one may be taken.
    expect(freeze({ now: NOW + 3 * HOUR }, taken.kind === 'accept' ? taken.freezes : [])).toMatchObject({ kind: 'accept' });
  });

  it('refuses people who are not approvers (audited) and bad input (not audited), changing nothing', () => {
    expect(freeze({ user: 'UMALLORY' })).toMatchObject({ kind: 'refuse', audit: { type: 'freeze_refused' } });
    expect(freeze({ user: 'URAJ', memberOf: ['S0REL'] })).toMatchObject({ kind: 'accept' });
    const unaudited = (d: ReturnType<typeof freeze>) => d.kind === 'refuse' && d.audit === undefined;
    for (const durationMs of [null, 0, -HOUR, MAX_AD_HOC_FREEZE_MS + 1]) expect(unaudited(freeze({ durationMs })), `duration ${durationMs}`).toBe(true);
    expect(unaudited(freeze({ reason: '  ' }))).toBe(true);
    expect(freeze({ environment: 'nowhere' })).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/no environment called `nowhere`/) });
  });

  it('lifts only a freeze in force', () => {
    const stored: AdHocFreeze[] = [{ environment: 'production', owner: 'URITA', reason: 'x', from: NOW, until: NOW + HOUR, allow: [] }];
    expect(decideUnfreeze(ask, policy, stored)).toMatchObject({ kind: 'accept', freezes: [], lifted: stored[0] });
    expect(decideUnfreeze({ ...ask, now: NOW + 2 * HOUR }, policy, stored)).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/no ad-hoc freeze/) });
  });
});

describe('the calendar a promotion answers to', () => {
  const wall = (iso: string) => Date.parse(`${iso}Z`);
  const file = new Calendar('production', new Zone('UTC'), [], [new DatedFreeze({ basis: 'wall', start: wall('2026-12-01T00:00'), end: wall('2026-12-02T00:00'), rule: 'freeze:Launch', name: 'Launch', allow: ['S0ONCALL'] })], { allowed: ['S0ONCALL'] });
  const env = (freezes: AdHocFreeze[] = []): EnvironmentPolicy => ({ ...production, calendar: file, freezes, breakGlass: new Map([['S0ONCALL', new Set(['UOMAR'])]]) });

  it('holds everyone but the break-glass list of a freeze, and says which freeze the list opened', () => {
    expect(promotionCalendar({ requester: 'UALICE' }, env())!.decide(NOW)).toMatchObject({ open: false, rule: 'freeze:Launch' });
    expect(promotionCalendar({ requester: 'UOMAR' }, env())!.decide(NOW).open).toBe(true);
    expect(breakGlassAt({ requester: 'UOMAR' }, env(), NOW)?.name).toBe('Launch');
    expect(breakGlassAt({ requester: 'UALICE' }, env(), NOW)).toBeNull();
  });

  it('adds the ad-hoc freeze, even without a calendar file, and opens when it ends', () => {
    const adHoc: AdHocFreeze = { environment: 'production', owner: 'URITA', reason: 'incident', from: NOW, until: NOW + HOUR, allow: [] };
    const calendar = promotionCalendar({ requester: 'UALICE' }, { ...production, freezes: [adHoc] })!;
    expect(calendar.decide(NOW + 1)).toMatchObject({ open: false, reason: 'freeze: ad-hoc freeze by URITA: incident' });
    expect(calendar.nextChange(NOW, true)).toBe(NOW + HOUR);
    // On-call passes the file's freeze but not an ad-hoc freeze that does not list it.
    expect(promotionCalendar({ requester: 'UOMAR' }, env([adHoc]))!.decide(NOW + 1)).toMatchObject({ open: false, rule: `ad-hoc:URITA:${NOW}` });
    expect(promotionCalendar({ requester: 'UOMAR' }, env([{ ...adHoc, allow: ['UOMAR'] }]))!.decide(NOW + 1).open).toBe(true);
  });
});
