import type { Logger } from '@slack/bolt';
import type { ServiceResult } from '../../service/promotion-service.js';

const INTERNAL =
  'Shipgate could not finish this because of an internal error (it has been logged). Check `/promote status` before you try again.';

/**
 * A person who typed a command or clicked a button always gets an answer, even when
 * Redis or Slack fails underneath; the error goes to the log, not to the channel.
 */
export async function answerSafely<T extends ServiceResult | { ok: boolean }>(work: () => Promise<T>, logger: Logger): Promise<T | { ok: false; reason: string }> {
  try {
    return await work();
  } catch (error) {
    logger.error('listener failed', (error as Error).stack ?? String(error));
    return { ok: false, reason: INTERNAL };
  }
}
