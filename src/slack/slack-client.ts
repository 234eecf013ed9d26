import { WebClient, type WebClientOptions } from '@slack/web-api';

/** How long one Web API call may take before it counts as failed (and, for a post, as possibly made). */
export const SLACK_CALL_TIMEOUT_MS = 10_000;

export interface SlackClientOptions {
  apiUrl: string | null;
  timeoutMs?: number;
}

/**
 * The client the workers write with. Its default policy retries for about 30 minutes
 * inside one call, and re-sends a chat.postMessage that Slack may already have taken
 * (a 5xx, a dropped connection): a duplicate message. Here a call is tried once, with a
 * timeout, and a 429 is thrown at once with its Retry-After; the caller decides. Slack
 * jobs retry through BullMQ, and a post goes through PostOnce, which finds a message
 * already posted instead of posting it again.
 */
export function createSlackWriter(token: string, options: SlackClientOptions): WebClient {
  return new WebClient(token, clientOptions(options, { retries: 0 }));
}

/**
 * The client for reads (user groups, on a click): a read can be repeated safely, so a
 * couple of quick retries, but never long enough to keep a person waiting.
 */
export function createSlackReader(token: string, options: SlackClientOptions): WebClient {
  return new WebClient(token, clientOptions(options, { retries: 2, minTimeout: 200, maxTimeout: 1_000 }));
}

function clientOptions(options: SlackClientOptions, retryConfig: WebClientOptions['retryConfig']): WebClientOptions {
  return {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    timeout: options.timeoutMs ?? SLACK_CALL_TIMEOUT_MS,
    retryConfig,
    rejectRateLimitedCalls: true,
  };
}
