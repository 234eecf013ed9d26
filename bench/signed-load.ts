import autocannon from 'autocannon';
import { createHmac } from 'node:crypto';

export interface LoadResult {
  p50: number;
  p99: number;
  /** Requests answered per second, over the run. */
  throughput: number;
  /** Requests answered 200, by the order they were sent in (the body builder's index). */
  ok: Set<number>;
  errors: number;
}

/**
 * Sends AMOUNT signed Slack requests to URL/slack/events over CONNECTIONS connections
 * with autocannon. Each request's body comes from `body(i)` and is signed just before it
 * leaves (setupRequest), with the timestamp of that moment, as Slack does.
 */
export async function signedLoad(url: string, secret: string, amount: number, connections: number, body: (i: number) => string): Promise<LoadResult> {
  let next = 0;
  const ok = new Set<number>();
  const result = await autocannon({
    url,
    connections,
    amount,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/slack/events',
        setupRequest: (request, context) => {
          const i = next++;
          (context as { index?: number }).index = i;
          const payload = body(i);
          const timestamp = Math.floor(Date.now() / 1000);
          const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${payload}`).digest('hex')}`;
          return {
            ...request,
            body: payload,
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature },
          };
        },
        onResponse: (status, _body, context) => {
          if (status === 200) ok.add((context as { index: number }).index);
        },
      },
    ],
  });
  return { p50: result.latency.p50, p99: result.latency.p99, throughput: result.requests.average, ok, errors: result.errors + result.non2xx + result.timeouts };
}
