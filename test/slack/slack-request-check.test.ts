import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyProblem, MAX_CLOCK_SKEW_SECONDS, nestsDeeperThan, timestampProblem } from '../../src/slack/slack-request-check.js';

/** How deeply a JSON value nests arrays and objects, computed the slow, obvious way. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (typeof value === 'object' && value !== null) return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

describe('nestsDeeperThan', () => {
  it('agrees with the depth of any JSON value, whatever brackets, quotes and backslashes its strings hold', () => {
    const text = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ' ') });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' }), text, (value, noise) => {
        const json = JSON.stringify([value, noise]);
        const depth = depthOf([value, noise]);
        expect(nestsDeeperThan(json, depth)).toBe(false);
        expect(nestsDeeperThan(json, depth - 1)).toBe(true);
      }),
    );
  });
});

describe('timestampProblem', () => {
  const now = 1_700_000_000_000;
  it.each([
    [String(now / 1000), null],
    [String(now / 1000 + MAX_CLOCK_SKEW_SECONDS), null],
    [String(now / 1000 - MAX_CLOCK_SKEW_SECONDS), null],
    [String(now / 1000 + MAX_CLOCK_SKEW_SECONDS + 1), /more than 5 minutes away/],
    [String(now / 1000 - MAX_CLOCK_SKEW_SECONDS - 1), /more than 5 minutes away/],
    ['1e9', /no valid/],
    ['', /no valid/],
    [undefined, /no valid/],
    [['1', '2'], /no valid/],
  ])('judges %j', (header, expected) => {
    const problem = timestampProblem(header, now);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

describe('bodyProblem', () => {
  const FORM = 'application/x-www-form-urlencoded';
  it.each([
    [FORM, 'command=%2Fpromote&text=help', null],
    [FORM, `payload=${encodeURIComponent('{"type":"block_actions"}')}`, null],
    ['application/json', '{"type":"event_callback","event":{}}', null],
    [FORM, 'payload=null', /not a JSON object/],
    [FORM, 'payload=1&payload=2', /more than one payload/],
    [FORM, 'text=help', /neither a slash command nor an interaction payload/],
    ['application/json', '[]', /not a JSON object/],
    ['application/json', '{', /not JSON/],
    // Bolt reads any other content type as JSON, and so does the check.
    [`${FORM}; charset=utf-8`, 'command=%2Fpromote', /not JSON/],
  ])('judges %s %s', (type, body, expected) => {
    const problem = bodyProblem(type, body);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});
