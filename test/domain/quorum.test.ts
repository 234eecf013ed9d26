import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignToQuorums, type Quorum } from '../../src/domain/quorum.js';
import { tally, describeTally } from '../../src/domain/approval-tally.js';
import { approvals, NOW } from './fixtures.js';

const QA: Quorum = { group: 'S0QA', required: 1, name: 'QA' };
const REL: Quorum = { group: 'S0REL', required: 1, name: 'Release' };

describe('all_of quorums', () => {
  it('places a person in both groups where they meet the most quorums', () => {
    // Quinn is only in QA; Rita is in both: Rita must fill Release for both to be met.
    expect(assignToQuorums([QA, REL], [{ person: 'URITA', groups: ['S0QA', 'S0REL'] }, { person: 'UQUINN', groups: ['S0QA'] }])).toEqual([['UQUINN'], ['URITA']]);
    expect(assignToQuorums([QA, REL], [{ person: 'UQUINN', groups: ['S0QA'] }, { person: 'URITA', groups: ['S0QA', 'S0REL'] }])).toEqual([['UQUINN'], ['URITA']]);
  });

  it('counts a person in both groups once', () => {
    const policy = approvals({ required: 2, approvers: ['S0QA', 'S0REL'], quorums: [QA, REL] });
    const t = tally({ approvals: [{ user: 'URITA', at: NOW, as: ['S0QA', 'S0REL'] }] }, policy, NOW);
    expect(t.satisfied).toBe(false);
    expect(describeTally(t)).toBe('QA 1/1 ✓ · Release 0/1');
  });

  it('meets as many quorums as any assignment could, never placing a person twice (property)', () => {
    const groups = ['S1', 'S2', 'S3'];
    const arb = fc.record({
      needs: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      people: fc.array(fc.subarray(groups), { maxLength: 5 }),
    });
    fc.assert(
      fc.property(arb, ({ needs, people }) => {
        const quorums = groups.map((group, i) => ({ group, required: needs[i]!, name: null }));
        const candidates = people.map((g, i) => ({ person: `U${i}`, groups: g }));
        const filled = assignToQuorums(quorums, candidates);
        const placed = filled.flat();
        expect(new Set(placed).size).toBe(placed.length);
        filled.forEach((by, i) => by.forEach((person) => expect(candidates.find((c) => c.person === person)!.groups).toContain(groups[i])));
        const met = filled.filter((by, i) => by.length >= needs[i]!).length;
        // Brute force: every way to give each person one group or none.
        let best = 0;
        const walk = (i: number, counts: number[]) => {
          if (i === candidates.length) return void (best = Math.max(best, counts.filter((c, q) => c >= needs[q]!).length));
          walk(i + 1, counts);
          for (const g of candidates[i]!.groups) {
            const q = groups.indexOf(g);
            walk(i + 1, counts.map((c, k) => (k === q ? c + 1 : c)));
          }
        };
        walk(0, [0, 0, 0]);
        expect(met).toBe(best);
      }),
    );
  });
});
