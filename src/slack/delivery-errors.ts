import { ErrorCode } from '@slack/web-api';

/**
 * The job should run again after `ms` without counting as a failed attempt: the
 * channel's write budget is spent, Slack answered 429, or another worker holds the
 * promotion's lock. The Slack worker moves the job to the delayed set.
 */
export class RetryLaterError extends Error {
  constructor(
    readonly ms: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** Thrown when a note arrives before its promotion message exists; the job is retried shortly. */
export class MessageNotPostedError extends Error {}

/** Slack's own error code (`channel_not_found`, `missing_scope`…) when Slack answered ok: false. */
export function slackErrorCode(error: unknown): string | null {
  const e = error as { code?: string; data?: { error?: string } };
  return e?.code === ErrorCode.PlatformError ? (e.data?.error ?? null) : null;
}

/** Seconds Slack asked us to wait (a 429), or null. */
export function slackRetryAfter(error: unknown): number | null {
  const e = error as { code?: string; retryAfter?: number };
  return e?.code === ErrorCode.RateLimitedError ? (e.retryAfter ?? 1) : null;
}

/**
 * True when Slack surely did not act on the call: it answered 429 or ok: false. A
 * timeout, a dropped connection or a 5xx leave it unknown.
 */
export function surelyNotDone(error: unknown): boolean {
  return slackRetryAfter(error) !== null || slackErrorCode(error) !== null;
}
