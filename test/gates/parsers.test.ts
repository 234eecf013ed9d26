import { describe, expect, it } from 'vitest';
import { judgeCoverage, lineCoverage } from '../../src/gates/coverage-gate.js';
import { PII_KINDS, PiiCounter, type PiiKind } from '../../src/gates/data-scan-gate.js';
import { GateError, expandUrl } from '../../src/gates/gate.js';
import { judgeJson } from '../../src/gates/http-json-gate.js';
import { judgeJunit, junitCounts } from '../../src/gates/junit-gate.js';
import { judgePrometheus, prometheusValues } from '../../src/gates/prometheus-gate.js';
import { judgeSoak } from '../../src/gates/soak-gate.js';

const EVIDENCE = 'https://ci.example.com/evidence';

describe('coverage reports', () => {
  const istanbul = JSON.stringify({
    total: { lines: { total: 1000, covered: 832, skipped: 0, pct: 83.2 }, statements: { total: 1100, covered: 900, skipped: 0, pct: 81.81 }, functions: { total: 100, covered: 90, skipped: 0, pct: 90 }, branches: { total: 200, covered: 150, skipped: 0, pct: 75 } },
    '/repo/src/a.ts': { lines: { total: 10, covered: 10, skipped: 0, pct: 100 } },
  });
  const cobertura = `<?xml version="1.0" ?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage line-rate="0.7134" branch-rate="0.5" lines-covered="713" lines-valid="1000" branches-covered="0" branches-valid="0" complexity="0" version="7.4.0" timestamp="1732400000000">
  <sources><source>/repo</source></sources>
  <packages><package name="app" line-rate="0.7134" branch-rate="0.5" complexity="0"><classes/></package></packages>
</coverage>`;
  const lcov = ['TN:', 'SF:src/a.ts', 'FN:1,main', 'FNDA:3,main', 'FNF:1', 'FNH:1', 'DA:1,3', 'DA:2,3', 'DA:3,0', 'LF:3', 'LH:2', 'BRF:0', 'BRH:0', 'end_of_record', 'TN:', 'SF:src/b.ts', 'DA:1,1', 'DA:2,1', 'LF:2', 'LH:2', 'end_of_record'].join('\n');

  it('reads istanbul json-summary, Cobertura XML and lcov', () => {
    expect(lineCoverage(istanbul)).toEqual({ percent: 83.2, format: 'istanbul-json-summary' });
    expect(lineCoverage(cobertura)).toEqual({ percent: 71.34, format: 'cobertura' });
    expect(lineCoverage(lcov)).toEqual({ percent: 80, format: 'lcov' });
  });

  it('passes at or above the minimum with the figure in the summary', () => {
    expect(judgeCoverage(istanbul, 80, EVIDENCE)).toEqual({ status: 'passed', summary: 'coverage 83.2% ≥ 80%', evidenceUrl: EVIDENCE });
    expect(judgeCoverage(cobertura, 80, EVIDENCE)).toEqual({ status: 'failed', summary: 'coverage 71.3% < 80%', evidenceUrl: EVIDENCE });
    expect(judgeCoverage(lcov, 80, EVIDENCE).status).toBe('passed');
  });

  it('calls an unreadable report an error, not a failure', () => {
    expect(() => lineCoverage('{"total": {}}')).toThrow(GateError);
    expect(() => lineCoverage('<html>Not found</html>')).toThrow(/Cobertura/);
    expect(() => lineCoverage('hello')).toThrow(GateError);
  });
});

describe('JUnit reports from several producers', () => {
  const surefire = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="com.example.AppTest" time="0.051" tests="3" errors="0" skipped="1" failures="1">
  <properties><property name="java.version" value="21"/></properties>
  <testcase name="adds" classname="com.example.AppTest" time="0.01"/>
  <testcase name="divides" classname="com.example.AppTest" time="0.02"><failure message="expected 2" type="org.opentest4j.AssertionFailedError">stack</failure></testcase>
  <testcase name="later" classname="com.example.AppTest" time="0"><skipped/></testcase>
</testsuite>`;
  const jestJunit = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="4" failures="0" errors="0" time="1.2">
  <testsuite name="cart" errors="0" failures="0" skipped="0" timestamp="2026-11-24T10:00:00" time="0.5" tests="2">
    <testcase classname="cart adds" name="cart adds" time="0.1"></testcase>
    <testcase classname="cart removes" name="cart removes" time="0.1"></testcase>
  </testsuite>
  <testsuite name="checkout" errors="0" failures="0" skipped="0" timestamp="2026-11-24T10:00:00" time="0.7" tests="2">
    <testcase classname="checkout pays" name="checkout pays" time="0.3"></testcase>
    <testcase classname="checkout refunds" name="checkout refunds" time="0.4"></testcase>
  </testsuite>
</testsuites>`;
  const pytest = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="0" skipped="0" tests="2" time="0.1" timestamp="2026-11-24T10:00:00" hostname="ci"><testcase classname="tests.test_api" name="test_ok" time="0.001" /><testcase classname="tests.test_api" name="test_db" time="0.002"><error message="failed on setup with &quot;ConnectionError&quot;">E ConnectionError</error></testcase></testsuite></testsuites>`;
  const goTestsum = `<testsuites tests="2" failures="0" errors="0" time="0.010"><testsuite tests="2" failures="0" time="0.010" name="example.com/pkg" timestamp="2026-11-24T10:00:00Z"><properties><property name="go.version" value="go1.23"></property></properties><testcase classname="example.com/pkg" name="TestA" time="0.000"></testcase><testcase classname="example.com/pkg" name="TestB" time="0.000"></testcase></testsuite></testsuites>`;

  it('counts the test cases of Surefire, jest-junit, pytest and gotestsum reports', () => {
    expect(junitCounts(surefire)).toEqual({ tests: 3, failures: 1, errors: 0, skipped: 1 });
    expect(junitCounts(jestJunit)).toEqual({ tests: 4, failures: 0, errors: 0, skipped: 0 });
    expect(junitCounts(pytest)).toEqual({ tests: 2, failures: 0, errors: 1, skipped: 0 });
    expect(junitCounts(goTestsum)).toEqual({ tests: 2, failures: 0, errors: 0, skipped: 0 });
  });

  it('counts errors as failures against max_failures', () => {
    expect(judgeJunit(jestJunit, 0, EVIDENCE)).toMatchObject({ status: 'passed', summary: '0 failed of 4 tests (0 skipped), at most 0 allowed' });
    expect(judgeJunit(pytest, 0, EVIDENCE)).toMatchObject({ status: 'failed', summary: '1 failed of 2 tests (0 skipped), at most 0 allowed' });
    expect(judgeJunit(surefire, 1, EVIDENCE).status).toBe('passed');
    expect(judgeJunit('<testsuites></testsuites>', 0, EVIDENCE)).toMatchObject({ status: 'failed', summary: 'the JUnit report has no test cases' });
  });

  it('refuses something that is not a JUnit report', () => {
    expect(() => junitCounts('<html><body>502</body></html>')).toThrow(/expected a JUnit report/);
  });
});

describe('Prometheus answers', () => {
  const vector = { status: 'success', data: { resultType: 'vector', result: [{ metric: { app: 'web', pod: 'a' }, value: [1732400000.1, '0.21'] }, { metric: { app: 'web', pod: 'b' }, value: [1732400000.1, '0.27'] }] } };
  const scalar = { status: 'success', data: { resultType: 'scalar', result: [1732400000.1, '0.42'] } };

  it('reads vectors and scalars', () => {
    expect(prometheusValues(vector)).toEqual([0.21, 0.27]);
    expect(prometheusValues(scalar)).toEqual([0.42]);
  });

  it('requires every series to be below the limit', () => {
    expect(judgePrometheus(vector, { below: 0.3, above: null }, EVIDENCE)).toEqual({ status: 'passed', summary: 'value 0.270 < 0.3', evidenceUrl: EVIDENCE });
    expect(judgePrometheus(vector, { below: 0.25, above: null }, EVIDENCE)).toMatchObject({ status: 'failed', summary: 'value 0.270 ≥ 0.25' });
    expect(judgePrometheus(scalar, { below: null, above: 0.5 }, EVIDENCE)).toMatchObject({ status: 'failed', summary: 'value 0.420 ≤ 0.5' });
  });

  it('calls an empty result, a matrix or a query error an error', () => {
    expect(() => judgePrometheus({ status: 'success', data: { resultType: 'vector', result: [] } }, { below: 1, above: null }, EVIDENCE)).toThrow(/no data/);
    expect(() => prometheusValues({ status: 'success', data: { resultType: 'matrix', result: [] } })).toThrow(/matrix/);
    expect(() => prometheusValues({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' })).toThrow(/Prometheus answered error: parse error/);
  });
});

describe('data scans of JSON Lines samples', () => {
  const scan = (lines: string[], kinds: readonly PiiKind[] = PII_KINDS) => {
    const counter = new PiiCounter(kinds);
    for (const line of lines) counter.line(line);
    return counter;
  };

  it('counts each kind of personal data, wherever it is nested, and never keeps the values', () => {
    const counter = scan([
      JSON.stringify({ id: 1, user: { email: 'jane.doe@example.com', note: 'call +49 30 901820 tomorrow' } }),
      JSON.stringify({ id: 2, payment: { iban: 'DE89 3704 0044 0532 0130 00', card: '4111 1111 1111 1111' } }),
      JSON.stringify({ id: 3, text: 'order 1234567890123 shipped', tags: ['x@y', 'not-an-email'] }),
      'not json',
    ]);
    expect(counter.counts).toEqual({ email: 1, phone: 1, iban: 1, credit_card: 1 });
    expect(counter.records).toBe(3);
    const verdict = counter.verdict(EVIDENCE);
    expect(verdict).toEqual({ status: 'failed', summary: 'personal data found in 3 records, 1 unreadable lines: 1 email, 1 phone, 1 iban, 1 credit_card', evidenceUrl: EVIDENCE });
    expect(JSON.stringify(verdict)).not.toMatch(/jane|4111|DE89/);
  });

  it('passes an anonymized sample and looks only for the forbidden kinds', () => {
    const anonymized = scan([JSON.stringify({ email: 'user-1@anon.invalid'.replace('@', ' at '), card: '4111-XXXX-XXXX-1111', iban: 'DE00 REDACTED' })]);
    expect(anonymized.verdict(EVIDENCE)).toMatchObject({ status: 'passed', summary: 'no personal data in 1 records (0 email, 0 phone, 0 iban, 0 credit_card)' });
    expect(scan([JSON.stringify({ email: 'jane@example.com' })], ['iban']).verdict(EVIDENCE).status).toBe('passed');
  });

  it('fails an empty sample', () => {
    expect(scan([]).verdict(EVIDENCE)).toMatchObject({ status: 'failed', summary: 'the sample has no records (0 records)' });
  });
});

describe('the other gates', () => {
  it('compares a JSON value at a path', () => {
    expect(judgeJson({ run: { status: 'passed' } }, { path: 'run.status', equals: 'passed' }, EVIDENCE)).toMatchObject({ status: 'passed', summary: 'run.status = "passed"' });
    expect(judgeJson({ run: { status: 'failed' } }, { path: 'run.status', equals: 'passed' }, EVIDENCE)).toMatchObject({ status: 'failed', summary: 'run.status = "failed", expected "passed"' });
    expect(judgeJson({}, { path: 'run.status', equals: 'passed' }, EVIDENCE)).toMatchObject({ status: 'failed', summary: 'run.status = missing, expected "passed"' });
  });

  it('waits for a soak, then passes; fails on another version or on alerts', () => {
    const config = { in: 'staging', atLeastMs: 2 * 3_600_000, withoutAlerts: true };
    const live = { version: '1.4.2', at: 0 };
    expect(judgeSoak(config, '1.4.2', live, 0, 35 * 60_000)).toEqual({ status: 'wait', until: 2 * 3_600_000, summary: 'soaking in staging: 35m of 2h' });
    expect(judgeSoak(config, '1.4.2', live, 0, 3 * 3_600_000)).toMatchObject({ status: 'passed', summary: 'soaked 3h in staging (≥ 2h), no alerts' });
    expect(judgeSoak(config, '1.4.2', live, 2, 3 * 3_600_000)).toMatchObject({ status: 'failed', summary: '2 alerts in staging since 1.4.2 was deployed' });
    expect(judgeSoak(config, '1.4.2', { version: '1.4.1', at: 0 }, 0, 3 * 3_600_000)).toMatchObject({ status: 'failed', summary: '1.4.2 is not running in staging (it runs 1.4.1)' });
  });

  it('fills the URL template, URL-encoded', () => {
    expect(expandUrl('https://ci/{app}/{version}/{environment}', { app: 'web', version: '1.0.0+build/7', environment: 'production' })).toBe('https://ci/web/1.0.0%2Bbuild%2F7/production');
  });
});
