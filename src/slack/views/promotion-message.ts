import { describeLock } from '../../domain/lock.js';
import type { KnownBlock } from '@slack/types';
import type { EnvironmentPolicy } from '../../domain/policy.js';
import type { Approval, Instant, Promotion, PromotionState } from '../../domain/promotion.js';
import { describeTally, tally } from '../../domain/approval-tally.js';
import { windowName } from '../../domain/window-name.js';
import { calendarApplies, calendarFor, isApprovalCurrent, policyFor } from '../../domain/readiness.js';
import { hasCalendar } from '../../domain/promotion-calendar.js';
import { isOpen, type GateStatus } from '../../domain/promotion.js';
import { slackLink } from '../../domain/deployment.js';
import { drillTimings } from '../../domain/drill.js';
import { ACTIONS } from '../actions.js';
import { clip, escapeMrkdwn, slackDate, user } from './mrkdwn.js';

const STATE_LABEL: Record<PromotionState, string> = {
  requested: ':hourglass_flowing_sand: Requested',
  checking: ':mag: Running gates',
  awaiting_approval: ':raised_hand: Awaiting approval',
  scheduled: ':calendar: Scheduled',
  deploying: ':rocket: Deploying',
  deployed: ':white_check_mark: Deployed',
  rejected: ':no_entry: Rejected',
  cancelled: ':heavy_multiplication_x: Cancelled',
  superseded: ':arrow_heading_down: Superseded',
  queued: ':double_vertical_bar: Queued behind a deployment',
  blocked: ':no_entry_sign: Blocked',
  failed: ':x: Deployment failed',
  rolled_back: ':leftwards_arrow_with_hook: Rolled back',
};

/** The state, and while a deployment runs (or once it failed) the link to the run the executor started. */
function stateLine(p: Promotion): string {
  const link = p.deployment?.link ? slackLink(p.deployment.link, 'the run') : null;
  if (!link || (p.state !== 'deploying' && p.state !== 'failed')) return STATE_LABEL[p.state];
  return p.state === 'deploying' ? `:rocket: Deploying… (${link})` : `${STATE_LABEL[p.state]} (${link})`;
}

function title(p: Promotion): string {
  if (p.kind === 'drill') return `Rollback drill of ${p.app} in ${p.environment}`;
  const what = p.kind === 'rollback' ? 'Rollback' : 'Promotion';
  return `${what} of ${p.app} ${p.version} to ${p.environment}`;
}

function path(p: Promotion): string {
  if (p.kind === 'drill' && p.drill) return `${p.environment}: ${p.version} → ${p.drill.target} → ${p.version} (drill)`;
  if (p.kind === 'rollback') return `${p.environment}: ${p.previousVersion ?? '—'} → ${p.version} (rollback)`;
  return `${p.from ?? 'new'} → ${p.environment}`;
}

function approvalsLine(p: Promotion, env: EnvironmentPolicy, now: Instant): string {
  if (p.kind === 'drill') return p.drill?.scheduled ? 'none: scheduled by the environment' : 'none: asked by someone who may roll back';
  const policy = policyFor(p, env);
  if (policy.required === 0) return 'none required';
  const counted = tally(p, policy, now);
  const lapsed = p.approvals.filter((a) => !isApprovalCurrent(a, policy, now));
  const signed = (a: Approval) => `${user(a.user)}${a.onBehalfOf ? ` (on behalf of ${user(a.onBehalfOf)})` : ''}${a.window ? ` (pre-approved for the window opening ${windowName(a.window.opens)})` : ''}`;
  const who = [...counted.counted.map(signed), ...lapsed.map((a) => `~${signed(a)}~ (expired)`)];
  return `${describeTally(counted)}${who.length ? `: ${who.join(', ')}` : ''}`;
}

function calendarLine(p: Promotion, env: EnvironmentPolicy, now: Instant): string | null {
  if (!hasCalendar(env)) return null;
  if (p.emergency) return ':rotating_light: bypassed (emergency)';
  if (!calendarApplies(p, env)) return 'ignored for rollbacks';
  if (p.state === 'scheduled') {
    return p.scheduledFor === null ? ':red_circle: closed; no window opens within a year' : `:calendar: closed; deploys when the window opens ${slackDate(p.scheduledFor)}`;
  }
  if (!isOpen(p.state)) return null;
  const decision = calendarFor(p, env, now)!;
  return decision.open ? `:large_green_circle: open (${escapeMrkdwn(decision.reason)})` : `:red_circle: closed (${escapeMrkdwn(decision.reason)})`;
}

const GATE_ICON: Record<GateStatus, string> = {
  pending: ':white_circle:',
  running: ':hourglass_flowing_sand:',
  passed: ':white_check_mark:',
  failed: ':x:',
  error: ':warning:',
};

/** One line per gate: status, name, summary with its figure, evidence link. */
function gatesText(p: Promotion): string | null {
  if (!p.gates) return null;
  const lines = Object.entries(p.gates.results).map(([name, r]) => {
    const evidence = r.evidenceUrl && /^https?:\/\//.test(r.evidenceUrl) ? ` · <${r.evidenceUrl.replace(/[<>|]/g, encodeURIComponent)}|evidence>` : '';
    const took = r.durationMs !== null ? ` · ${(r.durationMs / 1000).toFixed(1)} s` : '';
    const label = r.status === 'error' ? 'error: ' : '';
    return `${GATE_ICON[r.status]} *${escapeMrkdwn(name)}*: ${label}${escapeMrkdwn(r.summary)}${evidence}${took}`;
  });
  return `*Gates* (run ${p.gates.run})\n${lines.join('\n')}`;
}

/** Which settings the target sets differently from `from`: names only, never values. */
function settingsLine(p: Promotion): string | null {
  if (!p.settings || !p.from) return null;
  if (p.settings.differs.length === 0) return `*Settings*: the same in ${escapeMrkdwn(p.from)} and ${escapeMrkdwn(p.environment)}`;
  return `*Settings that differ from ${escapeMrkdwn(p.from)}*: ${p.settings.differs.map((name) => `\`${escapeMrkdwn(name.replaceAll('`', "'"))}\``).join(', ')}`;
}

/** A drill's legs with their timings, and where it left the environment when it did not pass. */
function drillText(p: Promotion): string | null {
  const d = p.drill;
  if (p.kind !== 'drill' || !d) return null;
  const lines = [`*Drill*: ${escapeMrkdwn(drillTimings(d))}`];
  if (p.state === 'failed' && d.leg === 'forward') lines.push(`:rotating_light: *Roll-forward failed: ${escapeMrkdwn(p.environment)} is left on ${escapeMrkdwn(d.target)}*, not ${escapeMrkdwn(p.version)}.`);
  if (p.state === 'failed' && d.leg === 'back') lines.push(`:x: *The rollback to ${escapeMrkdwn(d.target)} failed*: the rollback path is broken; ${escapeMrkdwn(p.environment)} still runs ${escapeMrkdwn(p.version)}.`);
  if (p.state === 'deployed') lines.push(`:white_check_mark: *Drill passed*: ${escapeMrkdwn(p.environment)} runs ${escapeMrkdwn(p.version)} again.`);
  return lines.join('\n');
}

/** The promotion message: a pure function of the record, the environment and the time. */
export function promotionMessage(p: Promotion, env: EnvironmentPolicy, now: Instant): { text: string; blocks: KnownBlock[] } {
  const text = `${title(p)}: ${STATE_LABEL[p.state].replace(/^:[a-z_]+: /, '')}`;
  const fields = [
    `*App*\n${escapeMrkdwn(p.app)}`,
    `*Version*\n${escapeMrkdwn(p.version)}`,
    `*Path*\n${escapeMrkdwn(path(p))}`,
    `*Requested by*\n${user(p.requester)}`,
    `*Approvals*\n${approvalsLine(p, env, now)}`,
    `*State*\n${stateLine(p)}`,
  ];
  const calendar = calendarLine(p, env, now);
  if (calendar) fields.push(`*Calendar*\n${calendar}`);
  // Said from the promotion itself: the lock that held it back when it was last decided on.
  if (p.heldBy && p.state === 'awaiting_approval') fields.push(`*Lock*\n:lock: waiting for ${describeLock(p.heldBy)}`);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${escapeMrkdwn(title(p))}*` } },
    { type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn' as const, text: f })) },
  ];
  if (p.forcedBad) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`:warning: *${escapeMrkdwn(p.version)} was rolled back in ${escapeMrkdwn(p.environment)}* and is marked bad there. Asked again with --force-bad: ${escapeMrkdwn(p.forcedBad)}`) } });
  }
  if (p.kind === 'rollback' && p.undoes?.length) {
    const when = p.state === 'deployed' ? 'marked bad' : 'marked bad once this rollback is deployed';
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*Undoes* ${p.undoes.map(escapeMrkdwn).join(', ')} (${when} in ${escapeMrkdwn(p.environment)})`) } });
  }
  const drill = drillText(p);
  if (drill) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(drill) } });
  if (p.state === 'blocked' && p.blockedReason) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*Blocked:* ${escapeMrkdwn(p.blockedReason)}`) } });
  }
  if (p.breakGlass) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`:unlock: *Break-glass*: deployed during the freeze "${escapeMrkdwn(p.breakGlass)}", whose allow list names ${user(p.requester)}; approvals and release windows still applied.`) } });
  }
  if (p.emergency) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: ':rotating_light: *Emergency*: this promotion bypasses the release calendar, under the emergency approval policy.' } });
  }
  const differs = settingsLine(p);
  if (differs) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(differs) } });
  const gates = gatesText(p);
  if (gates) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(gates) } });
  if (p.reason) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*Reason*\n${escapeMrkdwn(p.reason)}`) } });
  if (p.ending) {
    const why = p.ending.reason ? `: ${escapeMrkdwn(p.ending.reason)}` : '';
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`${STATE_LABEL[p.state]} by ${user(p.ending.user)} ${slackDate(p.ending.at)}${why}`) } });
  }
  if (p.deployment?.error) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*Deployment failed:* ${escapeMrkdwn(p.deployment.error)}`) } });
  }
  const cancel = { type: 'button' as const, action_id: ACTIONS.cancel, text: { type: 'plain_text' as const, text: 'Cancel' }, value: p.id };
  if (p.state === 'blocked') {
    const rerun = { type: 'button' as const, action_id: ACTIONS.rerunGates, text: { type: 'plain_text' as const, text: 'Re-run gates' }, style: 'primary' as const, value: p.id };
    blocks.push({ type: 'actions', block_id: 'blocked_actions', elements: p.gates ? [rerun, cancel] : [cancel] });
  }
  // Approvers may pre-approve for the window (an approval that would lapse before it opens is renewed so).
  const approve = { type: 'button' as const, action_id: ACTIONS.approve, text: { type: 'plain_text' as const, text: 'Approve' }, style: 'primary' as const, value: p.id };
  if (p.state === 'scheduled') blocks.push({ type: 'actions', block_id: 'scheduled_actions', elements: [approve, cancel] });
  if (p.state === 'awaiting_approval' || p.state === 'checking' || p.state === 'queued') {
    blocks.push({
      type: 'actions',
      block_id: 'promotion_actions',
      elements: [
        { type: 'button', action_id: ACTIONS.approve, text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: p.id },
        {
          type: 'button',
          action_id: ACTIONS.reject,
          text: { type: 'plain_text', text: 'Reject' },
          style: 'danger',
          value: p.id,
          confirm: {
            title: { type: 'plain_text', text: 'Reject this promotion?' },
            text: { type: 'plain_text', text: `${p.app} ${p.version} will not reach ${p.environment}.` },
            confirm: { type: 'plain_text', text: 'Reject' },
            deny: { type: 'plain_text', text: 'Keep it' },
          },
        },
        { type: 'button', action_id: ACTIONS.cancel, text: { type: 'plain_text', text: 'Cancel' }, value: p.id },
      ],
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `${p.id} · requested ${slackDate(p.requestedAt)} · config ${p.configHash.slice(0, 12)}` }],
  });
  return { text, blocks };
}
