import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import canonicalize from 'canonicalize';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { GENESIS, chainEntries, verifyChain, type AuditEntry } from '../../src/store/audit-chain.js';
import { formatCheckpoints, parseCheckpoints, signCheckpoint } from '../../src/store/audit-checkpoint.js';
import { AuditKey } from '../../src/store/audit-key.js';
import { AUDIT_KEY, testAuditKey } from '../support/start-shipgate.js';

const key = testAuditKey();
const otherKey = testAuditKey('another-key-that-is-long-enough-0123456789');
const CHAIN = 'web:production';

function chain(n: number, withKey = key) {
  const facts = Array.from({ length: n }, (_, i) => ({ type: 'x', actor: 'U', detail: { n: i + 1 } }));
  const { entries, nextHead } = chainEntries(withKey, CHAIN, '', facts, { promotion: null, app: 'web', environment: 'production', version: null, config: null, detail: {} }, 't');
  return { entries, head: nextHead };
}

const parse = (raw: string) => JSON.parse(raw) as AuditEntry;

describe('the keyed audit chain', () => {
  it('accepts an intact chain whatever the key order of the stored JSON', () => {
    const { entries, head } = chain(3);
    const reordered = entries.map((e) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(e) as object).reverse())));
    expect(verifyChain(key, CHAIN, reordered, head)).toEqual({ ok: true, entries: 3 });
    expect(parse(entries[0]!)).toMatchObject({ chain: CHAIN, seq: 1, prev: GENESIS });
    expect(parse(entries[1]!).prev).toBe(parse(entries[0]!).mac);
  });

  it('finds an edited entry, a removed entry, a swapped pair and a removed tail', () => {
    const { entries, head } = chain(4);
    const edited = [...entries];
    edited[2] = edited[2]!.replace('"actor":"U"', '"actor":"V"');
    expect(verifyChain(key, CHAIN, edited, head)).toMatchObject({ ok: false, seq: 3, problem: expect.stringMatching(/edited/) as string });
    expect(verifyChain(key, CHAIN, [entries[0]!, entries[2]!, entries[3]!], head)).toMatchObject({ ok: false, seq: 2 });
    expect(verifyChain(key, CHAIN, [entries[1]!, entries[0]!, ...entries.slice(2)], head)).toMatchObject({ ok: false, seq: 1 });
    expect(verifyChain(key, CHAIN, entries.slice(0, 3), head)).toMatchObject({ ok: false, problem: expect.stringMatching(/head/) as string });
  });

  it('detects an entry rewritten with a recomputed plain SHA-256 chain: without the key, no one can reseal history', () => {
    const { entries } = chain(3);
    // Someone with write access to Redis rewrites who approved, then recomputes every later link and the head.
    let prev = parse(entries[0]!).mac;
    const forged = [entries[0]!];
    for (const raw of entries.slice(1)) {
      const { mac: _, ...body } = parse(raw);
      const rewritten = { ...body, prev, actor: body.seq === 2 ? 'UMALLORY' : body.actor };
      const hash = createHash('sha256').update(canonicalize(rewritten) ?? '').digest('hex');
      forged.push(JSON.stringify({ ...rewritten, mac: hash }));
      prev = hash;
    }
    expect(verifyChain(key, CHAIN, forged, `3:${prev}`)).toMatchObject({ ok: false, seq: 2, problem: expect.stringMatching(/does not match its MAC/) as string });
  });

  it('fails verification with a wrong key, and says the key may be wrong', () => {
    const { entries, head } = chain(2);
    expect(verifyChain(otherKey, CHAIN, entries, head)).toMatchObject({ ok: false, seq: 1, problem: expect.stringMatching(/SHIPGATE_AUDIT_KEY is not the key this Shipgate writes with/) as string });
  });

  it('refuses an entry moved from another chain, even with a valid MAC', () => {
    const { entries, head } = chain(1);
    expect(verifyChain(key, 'web:staging', entries, head)).toMatchObject({ ok: false, seq: 1, problem: expect.stringMatching(/moved here from another chain/) as string });
  });

  it('with a checkpoint, finds a chain cut back to an earlier, self-consistent head', () => {
    const { entries } = chain(5);
    const anchor = { seq: 5, mac: parse(entries[4]!).mac };
    const cut = entries.slice(0, 3);
    const cutHead = `3:${parse(cut[2]!).mac}`;
    expect(verifyChain(key, CHAIN, cut, cutHead)).toEqual({ ok: true, entries: 3 });
    expect(verifyChain(key, CHAIN, cut, cutHead, anchor)).toMatchObject({ ok: false, problem: expect.stringMatching(/ends at entry 3, but the signed checkpoint saw entry 5 \(history was truncated\)/) as string });
    expect(verifyChain(key, CHAIN, entries, `5:${anchor.mac}`, anchor)).toEqual({ ok: true, entries: 5 });
  });

  it('with a checkpoint, finds history rewritten and resealed by someone who has the key', () => {
    const { entries } = chain(3);
    const anchor = { seq: 2, mac: parse(entries[1]!).mac };
    const resealed = chainEntries(key, CHAIN, `1:${parse(entries[0]!).mac}`, [{ type: 'x', actor: 'UMALLORY' }, { type: 'x', actor: 'U' }], { promotion: null, app: 'web', environment: 'production', version: null, config: null, detail: {} }, 't');
    const rewritten = [entries[0]!, ...resealed.entries];
    expect(verifyChain(key, CHAIN, rewritten, resealed.nextHead)).toEqual({ ok: true, entries: 3 });
    expect(verifyChain(key, CHAIN, rewritten, resealed.nextHead, anchor)).toMatchObject({ ok: false, seq: 2, problem: expect.stringMatching(/not the entry the signed checkpoint recorded/) as string });
  });
});

describe('signed checkpoints', () => {
  const checkpoint = signCheckpoint(key, { chain: CHAIN, seq: 3, mac: 'a'.repeat(64), at: '2026-11-24T10:00:00.000Z' });

  it('read back with the key that signed them', () => {
    expect(parseCheckpoints(key, formatCheckpoints([checkpoint]))).toEqual({ ok: true, checkpoints: [checkpoint] });
  });

  it('refuse a wrong key and an edited file', () => {
    expect(parseCheckpoints(otherKey, formatCheckpoints([checkpoint]))).toMatchObject({ ok: false, problem: expect.stringMatching(/not signed with this SHIPGATE_AUDIT_KEY/) as string });
    const moved = JSON.stringify({ ...checkpoint, seq: 2 });
    expect(parseCheckpoints(key, moved)).toMatchObject({ ok: false, problem: expect.stringMatching(/chain web:production \(line 1\) is not signed with this SHIPGATE_AUDIT_KEY/) as string });
    expect(parseCheckpoints(key, 'not json')).toMatchObject({ ok: false, problem: expect.stringMatching(/line 1 of the checkpoint file is not JSON/) as string });
  });
});

describe('the audit key', () => {
  it('is refused when missing or shorter than 32 bytes, with how to make one', () => {
    expect(AuditKey.fromEnvironment(undefined)).toEqual({ ok: false, problem: expect.stringMatching(/^SHIPGATE_AUDIT_KEY is not set: set SHIPGATE_AUDIT_KEY to a secret of at least 32 bytes.*openssl rand -hex 32/) as string });
    expect(AuditKey.fromEnvironment('x'.repeat(31))).toEqual({ ok: false, problem: expect.stringMatching(/^SHIPGATE_AUDIT_KEY is too short \(31 bytes\)/) as string });
    expect(AuditKey.fromEnvironment('x'.repeat(32)).ok).toBe(true);
  });

  it('never shows its value in JSON, inspection, string conversion or a log line', () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
    log.info({ options: { auditKey: key } }, `starting with ${String(key)}`);
    const shown = [JSON.stringify({ key }), inspect({ key }), `${key}`, ...lines].join('\n');
    expect(shown).not.toContain(AUDIT_KEY);
    expect(shown).toContain('[redacted]');
  });
});
