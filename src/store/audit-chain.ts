import canonicalize from 'canonicalize';
import type { AuditKey } from './audit-key.js';

export const GENESIS = '0'.repeat(64);

/** The chain of facts that belong to no app and environment (an alert for an unknown app, say). No `app:env` name can equal it. */
export const UNSCOPED_CHAIN = 'global';

/** One chain per app and environment, so commits on different environments never wait on each other. */
export function chainName(app: string | null, environment: string | null): string {
  return app && environment ? `${app}:${environment}` : UNSCOPED_CHAIN;
}

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
  chain: string;
  seq: number;
  at: string;
  /** The MAC of the entry before, or GENESIS for the first. */
  prev: string;
  type: string;
  actor: string;
}

export interface AuditEntry extends AuditEntryBody {
  mac: string;
}

/** HMAC-SHA256 over the RFC 8785 canonical JSON of the entry, which names its chain and the previous MAC. */
export function macEntry(key: AuditKey, body: AuditEntryBody): string {
  return key.mac(canonicalize(body) ?? '');
}

export function sealEntry(key: AuditKey, body: AuditEntryBody): AuditEntry {
  return { ...body, mac: macEntry(key, body) };
}

/** A chain head is "seq:mac" (empty for an empty chain). */
export function parseHead(head: string | null): { seq: number; mac: string } {
  if (!head) return { seq: 0, mac: GENESIS };
  const [seq, mac] = head.split(':');
  return { seq: Number(seq), mac: mac ?? '' };
}

export type ChainCheck = { ok: true; entries: number } | { ok: false; entries: number; seq: number; problem: string };

/** A (seq, mac) pair the chain must still contain, from a signed checkpoint. */
export interface Anchor {
  seq: number;
  mac: string;
}

/**
 * Checks one chain entry by entry, holding only the last MAC: feed it the entries in
 * order, then the head read together with the last page.
 */
export class ChainVerifier {
  private prev = GENESIS;
  private count = 0;
  private lastAt: string | null = null;
  private failure: ChainCheck | null = null;

  constructor(
    private readonly key: AuditKey,
    private readonly chain: string,
    private readonly anchor: Anchor | null = null,
  ) {}

  /** False once the chain is broken: the rest need not be read. */
  add(raw: string): boolean {
    if (this.failure) return false;
    const seq = this.count + 1;
    this.count = seq;
    let entry: AuditEntry;
    try {
      entry = JSON.parse(raw) as AuditEntry;
    } catch {
      return this.fail(seq, 'the entry is not valid JSON');
    }
    const { mac, ...body } = entry;
    if (body.seq !== seq) return this.fail(seq, `sequence number is ${String(body.seq)}, expected ${seq}`);
    if (body.chain !== this.chain) return this.fail(seq, `it names chain "${String(body.chain)}" (it was moved here from another chain)`);
    if (body.prev !== this.prev) return this.fail(seq, 'it does not link to the entry before it');
    if (typeof mac !== 'string' || macEntry(this.key, body) !== mac) {
      return this.fail(
        seq,
        seq === 1
          ? 'its content does not match its MAC: the entry was edited, or SHIPGATE_AUDIT_KEY is not the key this Shipgate writes with'
          : 'its content does not match its MAC (the entry was edited)',
      );
    }
    if (this.anchor && seq === this.anchor.seq && mac !== this.anchor.mac) {
      return this.fail(seq, `it is not the entry the signed checkpoint recorded (history up to entry ${this.anchor.seq} was rewritten)`);
    }
    this.prev = mac;
    this.lastAt = body.at;
    return true;
  }

  /** The last entry accepted so far. */
  get tip(): { seq: number; mac: string; at: string } | null {
    return this.failure || this.count === 0 || this.lastAt === null ? null : { seq: this.count, mac: this.prev, at: this.lastAt };
  }

  /** The verdict, given the chain head read atomically with the last entries. */
  finish(head: string | null): ChainCheck {
    if (this.failure) return this.failure;
    const tip = this.count === 0 ? '' : `${this.count}:${this.prev}`;
    if ((head ?? '') !== tip) {
      return { ok: false, entries: this.count, seq: this.count, problem: 'the chain head does not match the last entry (entries were removed or appended outside Shipgate)' };
    }
    if (this.anchor && this.anchor.seq > this.count) {
      return { ok: false, entries: this.count, seq: this.anchor.seq, problem: `the chain ends at entry ${this.count}, but the signed checkpoint saw entry ${this.anchor.seq} (history was truncated)` };
    }
    return { ok: true, entries: this.count };
  }

  private fail(seq: number, problem: string): false {
    this.failure = { ok: false, entries: this.count, seq, problem };
    return false;
  }
}

/** Verifies a whole chain held in memory (for small chains and tests); the store streams instead. */
export function verifyChain(key: AuditKey, chain: string, rawEntries: Iterable<string>, head: string | null, anchor: Anchor | null = null): ChainCheck {
  const verifier = new ChainVerifier(key, chain, anchor);
  for (const raw of rawEntries) if (!verifier.add(raw)) break;
  return verifier.finish(head);
}

/** Chains facts after `head` ("seq:mac", or "" for an empty chain); returns the entries and the new head. */
export function chainEntries(
  key: AuditKey,
  chain: string,
  head: string,
  facts: { type: string; actor: string; detail?: Record<string, string | number | boolean | null> }[],
  subject: AuditSubject,
  at: string,
): { entries: string[]; nextHead: string } {
  let { seq, mac: prev } = parseHead(head);
  const entries: string[] = [];
  for (const fact of facts) {
    seq++;
    const sealed = sealEntry(key, { chain, seq, at, prev, type: fact.type, actor: fact.actor, promotion: subject.promotion, app: subject.app, environment: subject.environment, version: subject.version, config: subject.config, detail: { ...subject.detail, ...fact.detail } });
    entries.push(JSON.stringify(sealed));
    prev = sealed.mac;
  }
  return { entries, nextHead: `${seq}:${prev}` };
}
