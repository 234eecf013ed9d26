/**
 * An `all_of` policy: one quorum per group, each met by distinct people. A person in
 * two groups counts once, for one of them.
 *
 * The rule: each approver is assigned to at most one group they belong to, choosing
 * the assignment that meets the most quorums; among assignments that meet equally
 * many, the groups listed first in shipgate.yml win, then as many other approvals as
 * possible are placed where they still help (shown as progress). This is a small
 * bipartite matching (people on one side, one seat per approval a group needs on the
 * other), solved exactly: quorums are few, so every subset of them is tried.
 */
export interface Quorum {
  /** A user group id (S…), or a single person (U…/W…). */
  group: string;
  required: number;
  /** What the message calls it ("QA"); the group id when unnamed. */
  name: string | null;
}

export interface Candidate {
  /** Who counts: the approver, or the person they approved on behalf of. */
  person: string;
  /** The quorum groups the person belongs to. */
  groups: readonly string[];
}

/** Which people fill each quorum (by index of `quorums`). */
export function assignToQuorums(quorums: readonly Quorum[], people: readonly Candidate[]): string[][] {
  // One seat per approval a quorum needs; a seat takes anyone in its group.
  const seats = quorums.flatMap((q, index) => Array.from({ length: q.required }, () => index));
  const eligible = (seat: number, person: number) => people[person]!.groups.includes(quorums[seats[seat]!]!.group);
  const allSeats = seats.map((_, seat) => seat);
  let order = allSeats;
  // Subsets of quorums from the largest down; the first that can be met in full is the best (earlier groups break ties).
  const subsets = Array.from({ length: 1 << quorums.length }, (_, mask) => mask).sort((a, b) => bits(b) - bits(a) || a - b);
  for (const mask of subsets) {
    const wanted = allSeats.filter((seat) => (mask & (1 << seats[seat]!)) !== 0);
    const matched = match(wanted, people.length, eligible);
    if (wanted.every((seat) => matched.has(seat))) {
      order = [...wanted, ...allSeats.filter((seat) => !wanted.includes(seat))];
      break;
    }
  }
  const filled: string[][] = quorums.map(() => []);
  for (const [seat, person] of match(order, people.length, eligible)) filled[seats[seat]!]!.push(people[person]!.person);
  return filled;
}

function bits(mask: number): number {
  let n = 0;
  for (let m = mask; m; m >>= 1) n += m & 1;
  return n;
}

/**
 * Kuhn's augmenting paths, seats taken in `order`: a seat once filled stays filled, so
 * the seats early in the order are all filled whenever they can be at once.
 */
function match(order: readonly number[], people: number, eligible: (seat: number, person: number) => boolean): Map<number, number> {
  const seatOf = new Map<number, number>();
  const personOf = new Map<number, number>();
  const fill = (seat: number, seen: Set<number>): boolean => {
    for (let person = 0; person < people; person++) {
      if (seen.has(person) || !eligible(seat, person)) continue;
      seen.add(person);
      const taken = seatOf.get(person);
      if (taken === undefined || fill(taken, seen)) {
        seatOf.set(person, seat);
        personOf.set(seat, person);
        return true;
      }
    }
    return false;
  };
  for (const seat of order) fill(seat, new Set());
  return personOf;
}
