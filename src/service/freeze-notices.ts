import type { Logger } from 'pino';
import { dueNotices, freezeNoticeText, heldByComingFreeze } from '../domain/freeze-notice.js';
import type { Policy } from '../domain/policy.js';
import type { NoticeStore } from '../store/notice-store.js';
import type { Calendars, Clock, PromotionRepository } from './ports.js';

/** Posts a message to a channel; answers its ts. */
export type PostToChannel = (channel: string, text: string) => Promise<string>;

/**
 * Before a calendar freeze starts (its calendar's `freeze_notice` lead time), each
 * environment's channel hears of it once, with the promotions it will hold. Run on every
 * worker's tick; the store makes sure one notice goes out per freeze occurrence.
 */
export async function sendFreezeNotices(policy: Policy, calendars: Calendars, repository: PromotionRepository, store: NoticeStore, post: PostToChannel, clock: Clock, log: Logger): Promise<number> {
  const now = clock.now();
  let sent = 0;
  let active: Awaited<ReturnType<PromotionRepository['active']>> | null = null;
  for (const env of policy.environments.values()) {
    for (const freeze of dueNotices(calendars.calendarFor(env.name), now)) {
      active ??= await repository.active();
      const held = heldByComingFreeze(env.name, active);
      const fact = { type: 'freeze_notice', actor: 'shipgate', detail: { freeze: freeze.name, rule: freeze.rule, starts: new Date(freeze.start).toISOString(), ends: new Date(freeze.end).toISOString(), held: held.map((p) => p.id).join(',') || null } };
      if (!(await store.claim(env.name, freeze.start, freeze.end, freeze.rule, fact))) continue;
      try {
        await store.posted(env.name, freeze.start, freeze.rule, await post(env.channel, freezeNoticeText(env.name, freeze, held)));
        sent++;
        log.info({ environment: env.name, freeze: freeze.name, held: held.length }, 'freeze notice posted');
      } catch (error) {
        await store.failed(env.name, freeze.start, freeze.rule);
        log.warn({ environment: env.name, freeze: freeze.name, err: (error as Error).message }, 'freeze notice not posted; the next tick tries again');
      }
    }
  }
  return sent;
}
