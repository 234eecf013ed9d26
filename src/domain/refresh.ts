import type { AuditFact } from './decision.js';
import { describeApprovers, isAuthorized, type ApprovalPolicy } from './policy.js';
import type { Instant } from './promotion.js';

/**
 * A data refresh: a copy of one dataset from one environment to another, masked on the
 * way. It never touches what runs anywhere (no ledger, no deployment); its own small
 * state machine:
 *
 * `awaiting_approval → copying → scanning → completed`, with `rejected` (an approver
 * said no) and `failed` (the copy failed, or its sample showed personal data or could
 * not be scanned).
 */
export type RefreshState = 'awaiting_approval' | 'copying' | 'scanning' | 'completed' | 'failed' | 'rejected';

export const FINAL_REFRESH_STATES: readonly RefreshState[] = ['completed', 'failed', 'rejected'];

/** What the scan of the copy's sample found: counts only, never a value. */
export interface ScanEvidence {
  passed: boolean;
  summary: string;
  /** The sample's URL as shown (as written in shipgate.yml, or as the copy target named it). */
  url: string;
  records: number;
  counts: Record<string, number>;
  at: Instant;
}

export interface Refresh {
  id: string;
  dataset: string;
  from: string;
  to: string;
  /** The masking profile the copy must apply, as configured when it was asked for. */
  masking: string;
  executor: string;
  reason: string;
  requester: string;
  requestedAt: Instant;
  state: RefreshState;
  required: number;
  approvals: { user: string; at: Instant }[];
  rejection: { user: string; at: Instant } | null;
  /** Set when the copy is started; `handle` once the executor answered. */
  copy: { startedAt: Instant; handle: string | null; link: string | null; sampleUrl: string | null; copiedAt: Instant | null } | null;
  scan: ScanEvidence | null;
  /** Why the refresh failed, one sentence. */
  failure: string | null;
  finishedAt: Instant | null;
  message: { channel: string; ts: string | null };
  /** Hash of the configuration in force when it was asked for. */
  config: string;
}

/** A dataset's refresh policy, from `datasets:` in shipgate.yml. */
export interface DatasetPolicy {
  name: string;
  from: readonly string[];
  to: readonly string[];
  approvals: ApprovalPolicy;
  masking: string;
  executor: string;
}

/** Everything a refresh decision needs to know about the configuration. */
export interface RefreshPolicy {
  datasets: ReadonlyMap<string, DatasetPolicy>;
  /** Environments that hold real data: never the target of a refresh. */
  production: ReadonlySet<string>;
  /** The channel of each environment: a refresh's message goes to its target's. */
  channels: ReadonlyMap<string, string>;
  configHash: string;
}

/** A target environment whose data is not known to be masked: a refresh into it failed its scan. */
export interface TargetFlag {
  environment: string;
  dataset: string;
  refreshId: string;
  reason: string;
  at: Instant;
}

export type RefreshEffect = { type: 'render-refresh' } | { type: 'copy' } | { type: 'scan' } | { type: 'refresh-note'; text: string };

export type RefreshDecision =
  | { kind: 'accept'; next: Refresh; audit: AuditFact[]; effects: RefreshEffect[]; reply?: string; flag?: { set: TargetFlag } | { clear: true } }
  | { kind: 'refuse'; reason: string; audit?: AuditFact }
  | { kind: 'unchanged'; reason: string };

export interface RefreshAsk {
  id: string;
  dataset: string;
  from: string;
  to: string;
  reason: string;
  requester: string;
  now: Instant;
}

const SHIPGATE = 'shipgate';

/** A sample URL a copy target names may be presigned: its query is a credential, so it is never shown nor logged. */
export function withoutQuery(url: string): string {
  try {
    const u = new URL(url);
    u.search = '';
    return u.href;
  } catch {
    return url;
  }
}

/**
 * The environments at the end of a promotion path: they have a `from`, and nothing is
 * promoted from them. That is where real data lives, so no refresh may write there.
 */
export function productionEnvironments(environments: readonly { name: string; from: string | null }[]): Set<string> {
  const sources = new Set(environments.map((e) => e.from).filter((f): f is string => f !== null));
  return new Set(environments.filter((e) => e.from !== null && !sources.has(e.name)).map((e) => e.name));
}

function list(names: readonly string[]): string {
  return names.length === 0 ? 'none' : names.join(', ');
}

/**
 * A request: refused when the dataset is unknown, the target holds real data, the source
 * may not send it or the target may not receive it, or a refresh of the same dataset
 * into the same environment is already under way (`inFlight`).
 */
export function decideRefreshRequest(ask: RefreshAsk, policy: RefreshPolicy, inFlight: string | null): RefreshDecision {
  const dataset = policy.datasets.get(ask.dataset);
  if (!dataset) {
    const known = [...policy.datasets.keys()];
    return { kind: 'refuse', reason: known.length ? `There is no dataset called \`${ask.dataset}\`. Datasets: ${known.join(', ')}.` : `There is no dataset called \`${ask.dataset}\`: shipgate.yml declares no \`datasets\`.` };
  }
  const audit = (reason: string): AuditFact => ({ type: 'refresh_refused', actor: ask.requester, detail: { reason } });
  if (policy.production.has(ask.to)) {
    const reason = `${ask.to} holds production data: Shipgate never refreshes data into it. Refresh ${ask.dataset} into ${list(dataset.to)} instead.`;
    return { kind: 'refuse', reason, audit: audit(reason) };
  }
  if (ask.from === ask.to) return { kind: 'refuse', reason: `${ask.dataset} would be copied from ${ask.to} onto itself; name two different environments.` };
  if (!dataset.from.includes(ask.from)) {
    const reason = `${ask.from} is not allowed to send ${ask.dataset}; it may be refreshed from ${list(dataset.from)}.`;
    return { kind: 'refuse', reason, audit: audit(reason) };
  }
  if (!dataset.to.includes(ask.to)) {
    const reason = `${ask.to} is not allowed to receive ${ask.dataset}; it may be refreshed into ${list(dataset.to)}.`;
    return { kind: 'refuse', reason, audit: audit(reason) };
  }
  if (inFlight) return { kind: 'refuse', reason: `A refresh of ${ask.dataset} into ${ask.to} is already under way (${inFlight}); wait for it to end.` };
  const channel = policy.channels.get(ask.to);
  if (!channel) return { kind: 'refuse', reason: `There is no environment called \`${ask.to}\`.` };
  const next: Refresh = {
    id: ask.id,
    dataset: dataset.name,
    from: ask.from,
    to: ask.to,
    masking: dataset.masking,
    executor: dataset.executor,
    reason: ask.reason,
    requester: ask.requester,
    requestedAt: ask.now,
    state: 'awaiting_approval',
    required: dataset.approvals.required,
    approvals: [],
    rejection: null,
    copy: null,
    scan: null,
    failure: null,
    finishedAt: null,
    message: { channel, ts: null },
    config: policy.configHash,
  };
  return {
    kind: 'accept',
    next,
    audit: [{ type: 'refresh_requested', actor: ask.requester, detail: { reason: ask.reason } }],
    effects: [{ type: 'render-refresh' }],
    reply: `Refresh ${ask.id} of ${dataset.name} from ${ask.from} to ${ask.to} asked; it needs ${dataset.approvals.required} approval(s) from ${describeApprovers(dataset.approvals)} in <#${channel}>.`,
  };
}

export interface RefreshClick {
  user: string;
  memberOf: readonly string[];
  membershipUnknown: string | null;
}

function notWaiting(r: Refresh): RefreshDecision {
  return { kind: 'unchanged', reason: `Refresh ${r.id} is already ${r.state.replace('_', ' ')}.` };
}

function mayDecide(r: Refresh, click: RefreshClick, dataset: DatasetPolicy, verb: 'approve' | 'reject'): RefreshDecision | null {
  if (!isAuthorized(dataset.approvals, click.user, click.memberOf)) {
    const reason = click.membershipUnknown ?? `Only ${describeApprovers(dataset.approvals)} can ${verb} a refresh of ${r.dataset}.`;
    return { kind: 'refuse', reason, audit: { type: `refresh_${verb}_refused`, actor: click.user, detail: { reason } } };
  }
  return null;
}

/** An approval: by a dataset approver, never the requester; enough of them start the copy. */
export function decideRefreshApproval(r: Refresh, click: RefreshClick, dataset: DatasetPolicy, now: Instant): RefreshDecision {
  if (r.state !== 'awaiting_approval') return notWaiting(r);
  const refused = mayDecide(r, click, dataset, 'approve');
  if (refused) return refused;
  if (click.user === r.requester) {
    const reason = 'You asked for this refresh; someone else must approve it.';
    return { kind: 'refuse', reason, audit: { type: 'refresh_approve_refused', actor: click.user, detail: { reason } } };
  }
  if (r.approvals.some((a) => a.user === click.user)) return { kind: 'unchanged', reason: 'You already approved this refresh.' };
  const approvals = [...r.approvals, { user: click.user, at: now }];
  const facts: AuditFact[] = [{ type: 'refresh_approved', actor: click.user, detail: { approvals: approvals.length, required: r.required } }];
  if (approvals.length < r.required) {
    return { kind: 'accept', next: { ...r, approvals }, audit: facts, effects: [{ type: 'render-refresh' }], reply: `Approved (${approvals.length} of ${r.required}).` };
  }
  return {
    kind: 'accept',
    next: { ...r, approvals, state: 'copying', copy: { startedAt: now, handle: null, link: null, sampleUrl: null, copiedAt: null } },
    audit: [...facts, { type: 'refresh_copy_started', actor: SHIPGATE, detail: { approved_by: approvals.map((a) => a.user).join(',') } }],
    effects: [{ type: 'copy' }, { type: 'render-refresh' }],
    reply: `Approved: copying ${r.dataset} from ${r.from} to ${r.to} with masking ${r.masking}.`,
  };
}

export function decideRefreshRejection(r: Refresh, click: RefreshClick, dataset: DatasetPolicy, now: Instant): RefreshDecision {
  if (r.state !== 'awaiting_approval') return notWaiting(r);
  const refused = mayDecide(r, click, dataset, 'reject');
  if (refused) return refused;
  return {
    kind: 'accept',
    next: { ...r, state: 'rejected', rejection: { user: click.user, at: now }, finishedAt: now },
    audit: [{ type: 'refresh_rejected', actor: click.user }],
    effects: [{ type: 'render-refresh' }],
    reply: `Rejected refresh ${r.id}.`,
  };
}

/** The executor accepted the copy: its handle, so any worker can follow it. */
export function decideCopyRunning(r: Refresh, handle: string, link: string | null): RefreshDecision {
  if (r.state !== 'copying' || !r.copy) return notWaiting(r);
  if (r.copy.handle !== null) return { kind: 'unchanged', reason: 'the copy is already recorded as running' };
  return { kind: 'accept', next: { ...r, copy: { ...r.copy, handle, link } }, audit: [{ type: 'refresh_copy_called', actor: SHIPGATE, detail: { link } }], effects: [] };
}

/** The copy finished: the masking must now be proven by a scan of its sample. */
export function decideCopySucceeded(r: Refresh, sampleUrl: string | null, link: string | null, now: Instant): RefreshDecision {
  if (r.state !== 'copying' || !r.copy) return notWaiting(r);
  return {
    kind: 'accept',
    next: { ...r, state: 'scanning', copy: { ...r.copy, sampleUrl, copiedAt: now, link: link ?? r.copy.link } },
    audit: [{ type: 'refresh_copied', actor: SHIPGATE, detail: { sample: sampleUrl === null ? null : withoutQuery(sampleUrl) } }],
    effects: [{ type: 'scan' }, { type: 'render-refresh' }],
  };
}

/** The copy failed: nothing is proven about the target, so it is flagged as well. */
export function decideCopyFailed(r: Refresh, reason: string, now: Instant): RefreshDecision {
  if (r.state !== 'copying') return notWaiting(r);
  return fail(r, `the copy failed: ${reason}`, now, 'refresh_copy_failed', {});
}

/** The scan's verdict: a clean sample completes the refresh (and clears an earlier flag); anything else fails it and flags the target. */
export function decideScanResult(r: Refresh, evidence: ScanEvidence): RefreshDecision {
  if (r.state !== 'scanning') return notWaiting(r);
  const counts = { records: evidence.records, ...evidence.counts };
  if (!evidence.passed) return fail({ ...r, scan: evidence }, `the masking check failed: ${evidence.summary}`, evidence.at, 'refresh_scan_failed', counts);
  return {
    kind: 'accept',
    next: { ...r, state: 'completed', scan: evidence, finishedAt: evidence.at },
    audit: [{ type: 'refresh_completed', actor: SHIPGATE, detail: { approved_by: approvers(r), sample: evidence.url, ...counts } }],
    effects: [{ type: 'render-refresh' }, { type: 'refresh-note', text: `:white_check_mark: ${r.dataset} refreshed from ${r.from} to ${r.to}; the masking check passed: ${evidence.summary}.` }],
    flag: { clear: true },
  };
}

/** The sample could not be scanned (none named, unreachable for good): masking is unproven. */
export function decideScanUnavailable(r: Refresh, reason: string, now: Instant): RefreshDecision {
  if (r.state !== 'scanning') return notWaiting(r);
  return fail(r, `the masking could not be checked: ${reason}`, now, 'refresh_scan_failed', {});
}

function approvers(r: Refresh): string {
  return r.approvals.map((a) => a.user).join(',');
}

function fail(r: Refresh, failure: string, now: Instant, type: string, counts: Record<string, number>): RefreshDecision {
  const flag: TargetFlag = { environment: r.to, dataset: r.dataset, refreshId: r.id, reason: failure, at: now };
  return {
    kind: 'accept',
    next: { ...r, state: 'failed', failure, finishedAt: now },
    audit: [{ type, actor: SHIPGATE, detail: { reason: failure, approved_by: approvers(r), sample: r.copy?.sampleUrl ? withoutQuery(r.copy.sampleUrl) : null, ...counts } }],
    effects: [
      { type: 'render-refresh' },
      { type: 'refresh-note', text: `:rotating_light: Refresh ${r.id} of ${r.dataset} into ${r.to} FAILED: ${failure}. ${r.to} is flagged: its ${r.dataset} data may not be masked until a refresh passes its check.` },
    ],
    flag: { set: flag },
  };
}
