import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchText } from '../../src/gates/fetch-limited.js';
import { DataScanGate } from '../../src/gates/data-scan-gate.js';
import { HttpJsonGate } from '../../src/gates/http-json-gate.js';
import { PrometheusGate } from '../../src/gates/prometheus-gate.js';
import { listen } from '../support/http-server.js';

let server: Awaited<ReturnType<typeof listen>>;
const seenHeaders: Record<string, string | string[] | undefined>[] = [];
const seenUrls: string[] = [];

beforeAll(async () => {
  server = await listen(async (req, res) => {
    seenHeaders.push(req.headers);
    seenUrls.push(req.url ?? '');
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 200; i++) res.write('x'.repeat(1024));
      res.end();
    } else if (req.url === '/declared-big') {
      res.writeHead(200, { 'content-length': String(50_000_000) });
      res.end();
    } else if (req.url === '/slow') {
      setTimeout(() => res.end('late'), 2_000);
    } else if (req.url === '/sample.jsonl') {
      // Records cut across chunk boundaries, as a real stream delivers them.
      const text = [JSON.stringify({ id: 1, email: 'jane.doe@example.com' }), JSON.stringify({ id: 2, note: 'nothing here' }), JSON.stringify({ id: 3, card: '4111 1111 1111 1111' })].join('\n');
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for (let i = 0; i < text.length; i += 7) res.write(text.slice(i, i + 7));
      res.end();
    } else if (req.url?.startsWith('/api/v1/query?')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [0, '0.12'] }] } }));
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'passed' }));
    }
  });
});
afterAll(async () => server.close());

const limits = (maxBytes = 100_000, timeoutMs = 1_000) => ({ maxBytes, signal: AbortSignal.timeout(timeoutMs) });

describe('gates over the wire', () => {
  const ctx = () => ({ promotionId: 'sg-1', app: 'web shop', version: '1.0.0', environment: 'staging', now: 0, signal: AbortSignal.timeout(1000) });

  it('streams a JSON Lines sample whose records are split across chunks, counting only', async () => {
    const gate = new DataScanGate({ url: `${server.url}/sample.jsonl`, headers: {}, forbid: ['email', 'credit_card'], timeoutMs: 1000, maxBytes: 10_000 });
    expect(await gate.run(ctx())).toEqual({ status: 'failed', summary: 'personal data found in 3 records: 1 email, 1 credit_card', evidenceUrl: `${server.url}/sample.jsonl` });
  });

  it('asks Prometheus an instant query with the app filled in, and links the graph as evidence', async () => {
    seenUrls.length = 0;
    const gate = new PrometheusGate({ url: `${server.url}/`, query: 'p95{app="{app}"}', below: 0.3, above: null, headers: {}, timeoutMs: 1000, maxBytes: 10_000 });
    const verdict = await gate.run(ctx());
    expect(verdict).toMatchObject({ status: 'passed', summary: 'value 0.120 < 0.3' });
    expect(new URL(seenUrls[0]!, server.url).searchParams.get('query')).toBe('p95{app="web shop"}');
    expect((verdict as { evidenceUrl: string }).evidenceUrl).toBe(`${server.url}/graph?g0.expr=${encodeURIComponent('p95{app="web shop"}')}`);
  });
});

describe('fetching a gate target', () => {
  it('refuses an answer larger than the limit, whether it says so or not', async () => {
    await expect(fetchText(`${server.url}/big`, limits(100_000))).rejects.toThrow('the answer is larger than the limit of 0.1 MB');
    await expect(fetchText(`${server.url}/declared-big`, limits(10_000_000))).rejects.toThrow('the answer is larger than the limit of 10 MB');
    expect((await fetchText(`${server.url}/big`, limits(300_000))).length).toBe(200 * 1024);
  });

  it('times out a target that does not answer', async () => {
    await expect(fetchText(`${server.url}/slow`, limits(1000, 200))).rejects.toThrow('the target did not answer in time');
  });

  it('does not follow redirects, so a target cannot send the gate elsewhere', async () => {
    await expect(fetchText(`${server.url}/redirect`, limits())).rejects.toThrow(/could not be reached|answered 302/);
  });

  it('sends a gate only the headers configured for it', async () => {
    seenHeaders.length = 0;
    const gate = new HttpJsonGate({ url: `${server.url}/{app}/tests`, headers: { Authorization: 'Bearer ci-token' }, expect: { path: 'status', equals: 'passed' }, timeoutMs: 1000, maxBytes: 1000 });
    const verdict = await gate.run({ promotionId: 'sg-1', app: 'web', version: '1.0.0', environment: 'staging', now: 0, signal: AbortSignal.timeout(1000) });
    expect(verdict.status).toBe('passed');
    expect(seenHeaders[0]?.authorization).toBe('Bearer ci-token');
    expect(Object.keys(seenHeaders[0] ?? {}).filter((h) => /secret|signature|token|cookie/i.test(h))).toEqual([]);
  });
});
