import type { KnownBlock, View } from '@slack/types';
import { humanSeconds, percent } from '../../domain/delivery-report.js';
import { HOME_WINDOW_MS, type EnvironmentDashboard, type HomeAppLine, type WaitingPromotion } from '../../domain/home-dashboard.js';
import { describeApprovers } from '../../domain/policy.js';
import { lockScope } from '../../domain/lock.js';
import { describeAllow } from '../../domain/ad-hoc-freeze.js';
import type { CalendarReport } from '../../service/calendar-report.js';
import { clip, escapeMrkdwn, slackDate, user } from './mrkdwn.js';

/** Slack refuses a Home view of more than 100 blocks. */
export const HOME_BLOCK_LIMIT = 100;
/** Under Slack's 3,000 characters per section text, with room for the clip mark. */
const SECTION_CHARS = 2900;

/** The environment's window now: open or closed, and when that changes. */
export function windowLine(r: CalendarReport): string {
  if (r.zone === null) return 'no calendar, always open';
  if (r.decision.open) return `:large_green_circle: open${r.nextClose ? `, closes ${slackDate(r.nextClose)}` : ''}`;
  return `:red_circle: closed (${escapeMrkdwn(r.decision.reason)})${r.nextOpen ? `, next window ${slackDate(r.nextOpen)}` : ', no window within a year'}`;
}

function onWhom(w: WaitingPromotion): string {
  switch (w.on.type) {
    case 'approvers':
      return `waits on ${describeApprovers(w.on.policy)}`;
    case 'window':
      return w.on.at === null ? 'waits for a window (none within a year)' : `waits for the window at ${slackDate(w.on.at)}`;
    case 'gates':
      return 'waits on its gates';
    case 'rerun':
      return 'waits for a re-run of its gates, or a cancel';
    case 'deployment':
      return 'waits on the deployment';
    case 'shipgate':
      return 'waits on Shipgate';
  }
}

function waitingLine(w: WaitingPromotion): string {
  const p = w.promotion;
  const approvals = w.required > 0 ? `, ${w.approvals}/${w.required} approvals` : '';
  return `    ◦ ${p.id}: ${p.kind === 'rollback' ? 'rollback to ' : p.kind === 'drill' ? 'rollback drill of ' : ''}${escapeMrkdwn(p.version)} ${p.state.replace('_', ' ')}${approvals}, ${onWhom(w)} (asked by ${user(p.requester)})`;
}

function appLines(a: HomeAppLine): string {
  const live = a.live ? `${escapeMrkdwn(a.live.version)} since ${slackDate(a.live.at)}` : 'nothing deployed';
  return [`• *${escapeMrkdwn(a.app)}*: ${live}`, ...a.waiting.map(waitingLine)].join('\n');
}

function summaryText(d: EnvironmentDashboard, window: CalendarReport | undefined): string {
  const n = d.numbers;
  const rollback = d.lastRollback
    ? `${escapeMrkdwn(d.lastRollback.app)} back to ${escapeMrkdwn(d.lastRollback.version)} ${slackDate(d.lastRollback.deployment!.finishedAt!)} (${d.lastRollback.id})`
    : `none in the last ${HOME_WINDOW_MS / 86_400_000} days`;
  const stopped = [
    ...d.locks.map((l) => `*Lock:* :lock: ${escapeMrkdwn(lockScope(l))} locked by ${user(l.owner)} since ${slackDate(l.at)}: ${escapeMrkdwn(l.reason)}`),
    ...d.freezes.map((f) => `*Ad-hoc freeze:* :ice_cube: by ${user(f.owner)} until ${slackDate(f.until)}: ${escapeMrkdwn(f.reason)}${f.allow.length ? ` (break-glass: ${describeAllow(f.allow)})` : ''}`),
  ];
  return [
    `*Window:* ${window ? windowLine(window) : 'unknown'}`,
    ...stopped,
    `*Last rollback:* ${rollback}`,
    `*Last ${HOME_WINDOW_MS / 86_400_000} days:* ${n.deployments} deployments · lead time p50 ${humanSeconds(n.leadTimeP50)} · change failure rate ${percent(n.changeFailureRate)} · time to restore p50 ${humanSeconds(n.timeToRestoreP50)}`,
  ].join('\n');
}

/** Lines packed into as few sections as fit Slack's text limit. */
function packed(lines: string[]): string[] {
  const texts: string[] = [];
  let current = '';
  for (const line of lines) {
    const next = current === '' ? line : `${current}\n${line}`;
    if (next.length <= SECTION_CHARS || current === '') current = next;
    else {
      texts.push(current);
      current = line;
    }
  }
  if (current !== '') texts.push(current);
  return texts.map((t) => clip(t, SECTION_CHARS));
}

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

/**
 * App Home, the environment dashboard: per environment its window, last rollback and key
 * numbers, then what runs and waits per app. Within 100 blocks whatever the number of
 * apps: the app sections share what the fixed blocks leave.
 */
export function appHome(dashboard: EnvironmentDashboard[], windows: CalendarReport[]): View {
  const footer: KnownBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: 'Ask for a promotion with `/promote APP VERSION to ENV`; `/promote status APP` for one app; `/promote report` for the figures.' }] };
  const parts = dashboard.map((d) => {
    const more = d.more > 0 ? [`${d.counts.apps} apps: ${d.counts.running} run a version, ${d.counts.waiting} promotions wait (${d.counts.awaitingApproval} for approvals). And ${d.more} more apps: see \`/promote status APP\`.`] : [];
    return {
      head: [{ type: 'header', text: { type: 'plain_text', text: clip(d.environment, 150) } }, section(clip(summaryText(d, windows.find((w) => w.environment === d.environment)), SECTION_CHARS))] as KnownBlock[],
      apps: packed(d.apps.length > 0 ? d.apps.map(appLines) : ['No apps are configured.']),
      tail: [...more.map((t) => ({ type: 'context', elements: [{ type: 'mrkdwn', text: t }] }) as KnownBlock), { type: 'divider' } as KnownBlock],
    };
  });
  const fixed = 1 + parts.reduce((n, p) => n + p.head.length + p.tail.length, 0);
  let budget = HOME_BLOCK_LIMIT - fixed;
  const blocks: KnownBlock[] = [];
  parts.forEach((p, i) => {
    // Each environment's share of what is left; a cut list says where the rest is.
    const share = Math.max(0, Math.floor(budget / (parts.length - i)));
    const apps = p.apps.length <= share ? p.apps : p.apps.slice(0, share);
    if (apps.length < p.apps.length && apps.length > 0) apps[apps.length - 1] = clip(`${apps.at(-1)!}\n…more apps: see \`/promote status APP\`.`, SECTION_CHARS);
    budget -= apps.length;
    blocks.push(...p.head, ...apps.map(section), ...p.tail);
  });
  return { type: 'home', blocks: [...blocks, footer].slice(0, HOME_BLOCK_LIMIT) };
}
