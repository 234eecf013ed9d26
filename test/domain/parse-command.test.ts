import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePromoteCommand } from '../../src/slack/parse-command.js';

describe('the /promote grammar', () => {
  it.each([
    ['web 1.4.2 to production', { type: 'promote', app: 'web', version: '1.4.2', environment: 'production', reason: '', emergency: false, forceBad: false }],
    ['web 1.4.2 production hotfix for #123', { type: 'promote', app: 'web', version: '1.4.2', environment: 'production', reason: 'hotfix for #123', emergency: false, forceBad: false }],
    ['  web   v2.0.0-rc.1  TO staging ', { type: 'promote', app: 'web', version: 'v2.0.0-rc.1', environment: 'staging', reason: '', emergency: false, forceBad: false }],
    ['web 3f9c2a1 to staging', { type: 'promote', app: 'web', version: '3f9c2a1', environment: 'staging', reason: '', emergency: false, forceBad: false }],
    ['web 1.4.2 to production --emergency payments down', { type: 'promote', app: 'web', version: '1.4.2', environment: 'production', reason: 'payments down', emergency: true, forceBad: false }],
    ['calendar production', { type: 'calendar', environment: 'production' }],
    ['rollback web production', { type: 'rollback', app: 'web', environment: 'production', version: null, reason: '' }],
    ['rollback web production to 1.4.1 bad release', { type: 'rollback', app: 'web', environment: 'production', version: '1.4.1', reason: 'bad release' }],
    ['rehearse rollback web staging', { type: 'rehearse', app: 'web', environment: 'staging' }],
    ['Rehearse ROLLBACK web Production', { type: 'rehearse', app: 'web', environment: 'production' }],
    ['status', { type: 'status', app: null }],
    ['status web', { type: 'status', app: 'web' }],
    ['cancel SG-12', { type: 'cancel', id: 'sg-12' }],
    ['refresh customers from production to staging', { type: 'refresh', dataset: 'customers', from: 'production', to: 'staging', reason: '' }],
    ['REFRESH Customers FROM Production TO Staging weekly copy', { type: 'refresh', dataset: 'customers', from: 'production', to: 'staging', reason: 'weekly copy' }],
    ['help', { type: 'help' }],
    ['', { type: 'modal' }],
  ])('reads "%s"', (text, value) => {
    expect(parsePromoteCommand(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['web', /Say which version/],
    ['web latest to production', /`latest` is not a version/],
    ['web 1.4.2 to', /Say which environment/],
    ['Web! 1.4.2 to production', /not an app name or a command/],
    ['cancel 12', /one promotion id, such as sg-12/],
    ['rollback web', /takes an app and an environment/],
    ['refresh', /`refresh` takes a dataset/],
    ['refresh customers production staging', /Say where the data comes from: `from ENV`/],
    ['refresh customers from production staging', /Say where the data goes: `to ENV`/],
    ['rollback web production to', /is not a version/],
    ['calendar', /`calendar` takes one environment/],
    ['rehearse web staging', /say `rehearse rollback APP ENV`/],
    ['rehearse rollback web', /takes an app and an environment/],
    ['rehearse rollback web staging now', /takes an app and an environment/],
  ])('refuses "%s" and shows the grammar', (text, problem) => {
    const parsed = parsePromoteCommand(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toMatch(problem);
      expect(parsed.error).toMatch(/Try: `\/promote/);
    }
  });

  it('reads back any well-formed request, with or without `to` (property)', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/).filter((n) => !['help', 'status', 'cancel', 'rollback', 'rehearse', 'calendar', 'report', 'to'].includes(n));
    const version = fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99)).map(([a, b, c]) => `${a}.${b}.${c}`);
    // Words starting with -- are options (refused when unknown), not part of the reason.
    const reason = fc.array(fc.stringMatching(/^[^\s]{1,8}$/).filter((w) => !w.startsWith('--')), { maxLength: 5 });
    fc.assert(
      fc.property(name, version, name, reason, fc.boolean(), (app, v, env, words, withTo) => {
        const text = [app, v, ...(withTo ? ['to'] : []), env, ...words].join(' ');
        const parsed = parsePromoteCommand(text);
        if (!withTo && env === 'to') return;
        expect(parsed).toEqual({ ok: true, value: { type: 'promote', app, version: v, environment: env, reason: words.join(' '), emergency: false, forceBad: false } });
      }),
    );
  });

  it('never throws on any text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(typeof parsePromoteCommand(text).ok).toBe('boolean');
      }),
    );
  });
});

describe('/promote options', () => {
  it('reads --force-bad and refuses options it does not know', () => {
    expect(parsePromoteCommand('web 1.4.2 to production --force-bad fixed in the database')).toEqual({
      ok: true,
      value: { type: 'promote', app: 'web', version: '1.4.2', environment: 'production', reason: 'fixed in the database', emergency: false, forceBad: true },
    });
    const wrong = parsePromoteCommand('web 1.4.2 to production --force');
    expect(wrong.ok === false && wrong.error).toMatch(/`--force` is not an option/);
  });
});
