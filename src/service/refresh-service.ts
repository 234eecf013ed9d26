import type { Logger } from 'pino';
import {
  decideCopyFailed,
  decideCopyRunning,
  decideCopySucceeded,
  decideRefreshApproval,
  decideRefreshRejection,
  decideRefreshRequest,
  decideScanResult,
  decideScanUnavailable,
  type Refresh,
  type RefreshClick,
  type RefreshDecision,
  type RefreshPolicy,
  type ScanEvidence,
  type TargetFlag,
} from '../domain/refresh.js';
import type { RefreshAskSubject } from '../store/refresh-store.js';
import { approverGroupsOf } from './membership.js';
import type { Clock, Directory } from './ports.js';

/** Where refreshes live: read, decide, commit with the data-movement entry and the outbox entries. */
export interface RefreshRepository {
  get(id: string): Promise<Refresh | null>;
  flags(): Promise<TargetFlag[]>;
  active(): Promise<Refresh[]>;
  create(ask: RefreshAskSubject, decide: (inFlight: string | null, id: string) => RefreshDecision): Promise<RefreshDecision>;
  transition(id: string, decide: (current: Refresh) => RefreshDecision | Promise<RefreshDecision>): Promise<RefreshDecision>;
}

export type RefreshResult = { ok: true; reply: string } | { ok: false; reason: string };

export interface RefreshAskInput {
  dataset: string;
  from: string;
  to: string;
  reason: string;
  requester: string;
}

function result(decision: RefreshDecision, fallback: string): RefreshResult {
  return decision.kind === 'accept' ? { ok: true, reply: decision.reply ?? fallback } : { ok: false, reason: decision.reason };
}

/**
 * Data refreshes: `/promote refresh DATASET from ENV to ENV`, its approvals, the copy and
 * the masking check. Each use case reads, runs a pure decision and commits it; the
 * commit's outbox starts the copy, the scan and the message updates.
 */
export class RefreshService {
  constructor(
    private readonly policy: RefreshPolicy,
    private readonly refreshes: RefreshRepository,
    private readonly directory: Directory,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  get(id: string): Promise<Refresh | null> {
    return this.refreshes.get(id);
  }

  flags(): Promise<TargetFlag[]> {
    return this.refreshes.flags();
  }

  active(): Promise<Refresh[]> {
    return this.refreshes.active();
  }

  async request(ask: RefreshAskInput): Promise<RefreshResult> {
    const dataset = this.policy.datasets.get(ask.dataset);
    const subject = { ...ask, masking: dataset?.masking ?? '', config: this.policy.configHash };
    const decision = await this.refreshes.create(subject, (inFlight, id) => decideRefreshRequest({ ...ask, id, now: this.clock.now() }, this.policy, inFlight));
    if (decision.kind === 'accept') this.log.info({ refresh: decision.next.id, dataset: ask.dataset, from: ask.from, to: ask.to }, 'data refresh requested');
    return result(decision, 'Asked.');
  }

  approve(id: string, user: string): Promise<RefreshResult> {
    return this.decideClick(id, user, (r, click, dataset) => decideRefreshApproval(r, click, dataset, this.clock.now()));
  }

  reject(id: string, user: string): Promise<RefreshResult> {
    return this.decideClick(id, user, (r, click, dataset) => decideRefreshRejection(r, click, dataset, this.clock.now()));
  }

  /** The executor took the copy: its handle, so any worker can follow it. Null when the refresh moved on meanwhile. */
  async copyRunning(id: string, handle: string, link: string | null): Promise<boolean> {
    return (await this.refreshes.transition(id, (r) => decideCopyRunning(r, handle, link))).kind === 'accept';
  }

  async copySucceeded(id: string, sampleUrl: string | null, link: string | null): Promise<void> {
    await this.refreshes.transition(id, (r) => decideCopySucceeded(r, sampleUrl, link, this.clock.now()));
  }

  async copyFailed(id: string, reason: string): Promise<void> {
    const decision = await this.refreshes.transition(id, (r) => decideCopyFailed(r, reason, this.clock.now()));
    if (decision.kind === 'accept') this.log.warn({ refresh: id, reason }, 'data refresh copy failed');
  }

  async scanned(id: string, evidence: ScanEvidence): Promise<void> {
    const decision = await this.refreshes.transition(id, (r) => decideScanResult(r, evidence));
    if (decision.kind === 'accept') this.log.info({ refresh: id, passed: evidence.passed, records: evidence.records }, 'data refresh masking checked');
  }

  async scanUnavailable(id: string, reason: string): Promise<void> {
    const decision = await this.refreshes.transition(id, (r) => decideScanUnavailable(r, reason, this.clock.now()));
    if (decision.kind === 'accept') this.log.warn({ refresh: id, reason }, 'data refresh masking could not be checked');
  }

  private async decideClick(id: string, user: string, decide: (r: Refresh, click: RefreshClick, dataset: NonNullable<ReturnType<RefreshPolicy['datasets']['get']>>) => RefreshDecision): Promise<RefreshResult> {
    const current = await this.refreshes.get(id);
    if (!current) return { ok: false, reason: `There is no refresh ${id}.` };
    const dataset = this.policy.datasets.get(current.dataset);
    if (!dataset) return { ok: false, reason: `The dataset ${current.dataset} is no longer configured; this refresh cannot go on.` };
    const membership = await approverGroupsOf(this.directory, dataset.approvals, user);
    const click = { user, memberOf: membership.memberOf, membershipUnknown: membership.unknown };
    return result(await this.refreshes.transition(id, (r) => decide(r, click, dataset)), 'Done.');
  }
}
