import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataScanGate, PII_KINDS, PiiCounter } from '../../src/gates/data-scan-gate.js';
import { scanCards, scanEmails, scanIbans, scanPhones } from '../../src/gates/pii-scan.js';

const countEmails = (text: string) => scanEmails(text).count;
const countCards = (text: string) => scanCards(text).count;
const countIbans = (text: string) => scanIbans(text).count;
const countPhones = (text: string) => scanPhones(text).count;
import { listen } from '../support/http-server.js';

const MB5 = 5 * 1024 * 1024;
const fill = (unit: string) => unit.repeat(Math.ceil(MB5 / unit.length)).slice(0, MB5);

/**
 * Lines that make backtracking regular expressions take quadratic or worse time. No
 * assertion on time: a scan that is not linear does not finish within the test timeout.
 */
const ADVERSARIAL: Record<string, string> = {
  'letters without an @': fill('a'),
  'at signs without dots': fill('a@'),
  'dots after at signs': fill('a@b.'),
  'digits without end': fill('1'),
  'digits with single spaces': fill('1 '),
  'digits with dashes': fill('4-'),
  'IBAN openings': fill('DE89'),
  'IBAN openings with spaces': fill('DE89 '),
  'plus signs and digits': fill('+1'),
  'one phone number, over and over': fill('+4930901820,'),
  'one card, over and over': fill('4111 1111 1111 1111;'),
};

describe('data scans take linear time on any input', () => {
  for (const [name, text] of Object.entries(ADVERSARIAL)) {
    it(`scans a 5 MB line of ${name}`, { timeout: 5_000 }, () => {
      const counter = new PiiCounter(PII_KINDS);
      counter.line(JSON.stringify({ note: text }));
      expect(counter.records).toBe(1);
      expect(counter.verdict('https://x').summary).toMatch(/records/);
    });
  }

  it('still counts what the regular expressions found, and a little more', () => {
    expect(countEmails('write to jane.doe@example.com, or to "ops@example.org". Not x@y, not a@b@c.com')).toBe(2);
    expect(countEmails('mail jane@example.com.')).toBe(1);
    expect(countCards('card 4111-1111-1111-1111 and 4111 1111 1111 1111; order 1234567890123; x4111111111111111')).toBe(2);
    expect(countCards('41111111111111112222 and 4111111111111111x')).toBe(0);
    expect(countIbans('pay DE89 3704 0044 0532 0130 00 or GB82WEST12345698765432; not DE00 REDACTED')).toBe(2);
    expect(countIbans('xDE89370400440532013000')).toBe(0);
    expect(countPhones('call +49 30 901820 tomorrow, or (+1) 212-555-0123; not +12 or 49 30 901820')).toBe(2);
    expect(countPhones('id+4930901820x')).toBe(0);
  });
});

/** Counts turns of the event loop until stopped: a scan that never yields leaves it at zero. */
function eventLoopTurns() {
  let turns = 0;
  let running = true;
  const spin = () => {
    if (!running) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  return () => {
    running = false;
    return turns;
  };
}

describe('a long line is scanned in slices', () => {
  it('gives the event loop a turn between slices of one 5 MB line', { timeout: 5_000 }, async () => {
    const counter = new PiiCounter(PII_KINDS);
    const stop = eventLoopTurns();
    await counter.lineYielding(JSON.stringify({ note: `${fill('a@b.c ')} jane.doe@example.com` }));
    // 5 MB in 64 KB slices, for each of four kinds: hundreds of turns; one sync pass would give none.
    expect(stop()).toBeGreaterThan(100);
    expect(counter.counts.email).toBe(1);
  });
});

describe('the data-scan gate over the wire', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    server = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      // One 5 MB record without a space, then a record with an e-mail address.
      const line = JSON.stringify({ blob: fill('a@') });
      for (let i = 0; i < line.length; i += 64 * 1024) res.write(line.slice(i, i + 64 * 1024));
      res.end(`\n${JSON.stringify({ email: 'jane.doe@example.com' })}\n`);
    });
  });
  afterAll(async () => server.close());

  it('streams a 5 MB line, letting the event loop run while it scans', { timeout: 5_000 }, async () => {
    const stop = eventLoopTurns();
    const gate = new DataScanGate({ url: `${server.url}/sample.jsonl`, headers: {}, forbid: ['email', 'phone', 'iban', 'credit_card'], timeoutMs: 5_000, maxBytes: 20_000_000 });
    const verdict = await gate.run({ promotionId: 'sg-1', app: 'web', version: '1.0.0', environment: 'staging', now: 0, signal: AbortSignal.timeout(5_000) });
    expect(stop()).toBeGreaterThan(100);
    expect(verdict).toMatchObject({ status: 'failed', summary: 'personal data found in 2 records: 1 email, 0 phone, 0 iban, 0 credit_card' });
  });
});
