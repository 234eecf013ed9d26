import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const GENESIS = '0'.repeat(64);

/** Who and what an audit entry is about, besides its fact. */
export interface AuditSubject {
  promotion: string | null;
  app: string | null;
  environment: string | null;
  version: string | null;
  config: string | null;
  detail: Record<string, string | number | boolean | null>;
}

export interface AuditEntryBody extends AuditSubject {
  seq: number;
  at: string;
  prev: string;
  type: string;
  actor: string;
}

export interface AuditEntry extends AuditEntryBody {
  hash: string;
}

/** SHA-256 over the RFC 8785 canonical JSON of the entry, which includes the previous hash. */
export function hashEntry(body: AuditEntryBody): string {
  return createHash('sha256').update(canonicalize(body) ?? '').digest('hex');
}

export function sealEntry(body: AuditEntryBody): AuditEntry {
  return { ...body, hash: hashEntry(body) };
}

export type ChainCheck = { ok: true; entries: number } | { ok: false; entries: number; seq: number; problem: string };

/** Recomputes every hash and link; reports the first entry that does not hold. */
export function verifyChain(rawEntries: Iterable<string>, head: string | null): ChainCheck {
  let prev = GENESIS;
  let expectedSeq = 1;
  let count = 0;
  for (const raw of rawEntries) {
    count++;
    let entry: AuditEntry;
    try {
      entry = JSON.parse(raw) as AuditEntry;
    } catch {
      return { ok: false, entries: count, seq: expectedSeq, problem: 'the entry is not valid JSON' };
    }
    const { hash, ...body } = entry;
    if (body.seq !== expectedSeq) return { ok: false, entries: count, seq: expectedSeq, problem: `sequence number is ${String(body.seq)}, expected ${expectedSeq}` };
    if (body.prev !== prev) return { ok: false, entries: count, seq: body.seq, problem: 'it does not link to the entry before it' };
    if (hashEntry(body) !== hash) return { ok: false, entries: count, seq: body.seq, problem: 'its content does not match its hash (the entry was edited)' };
    prev = hash;
    expectedSeq++;
  }
  const tip = count === 0 ? '' : `${expectedSeq - 1}:${prev}`;
  if ((head ?? '') !== tip) return { ok: false, entries: count, seq: expectedSeq - 1, problem: 'the chain head does not match the last entry (entries were removed or appended outside Shipgate)' };
  return { ok: true, entries: count };
}

/** Chains facts after `head` ("seq:hash", or "" for an empty log); returns the entries and the new head. */
export function chainEntries(
  head: string,
  facts: { type: string; actor: string; detail?: Record<string, string | number | boolean | null> }[],
  subject: AuditSubject,
  at: string,
): { entries: string[]; nextHead: string } {
  const [seqText, hash] = head ? head.split(':') : ['0', GENESIS];
  let seq = Number(seqText);
  let prev = hash ?? GENESIS;
  const entries: string[] = [];
  for (const fact of facts) {
    seq++;
    const sealed = sealEntry({ seq, at, prev, type: fact.type, actor: fact.actor, promotion: subject.promotion, app: subject.app, environment: subject.environment, version: subject.version, config: subject.config, detail: { ...subject.detail, ...fact.detail } });
    entries.push(JSON.stringify(sealed));
    prev = sealed.hash;
  }
  return { entries, nextHead: `${seq}:${prev}` };
}
