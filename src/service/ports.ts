import type { Calendar } from '../domain/calendar/calendar.js';
import type { Decision } from '../domain/decision.js';
import type { Lock } from '../domain/lock.js';
import type { AdHocFreeze } from '../domain/ad-hoc-freeze.js';
import type { OpenDrift } from '../domain/drift.js';
import type { Instant, Promotion } from '../domain/promotion.js';
import type { AppSnapshot, DeployedVersion } from '../domain/request.js';
import type { DecisionRead, Expectation, Outcome, StoredPromotion } from '../store/promotion-store.js';

/** Where promotions live; every change is a compare-and-set commit with its audit entries and its outbox entries. */
export interface PromotionRepository {
  get(id: string): Promise<StoredPromotion | null>;
  current(app: string, environment: string): Promise<DeployedVersion | null>;
  /** Promotions not in a final state. */
  active(): Promise<Promotion[]>;
  /** The environment's ad-hoc freezes in force now. */
  freezesOf(environment: string): Promise<AdHocFreeze[]>;
  /** Decides a new promotion against a snapshot of its app; `id` is provisional until the decision accepts. */
  create(app: string, environment: string, environments: readonly string[], decide: (snapshot: AppSnapshot, id: string) => Decision): Promise<Outcome>;
  /**
   * `locks`: the locks on the promotion's environment that concern its app, read with it and expected unchanged at the commit.
   * `expectations` may be read again on each attempt (a function), when the decision relies on them.
   */
  transition(id: string, decide: (current: Promotion, locks: readonly Lock[], freezes: readonly AdHocFreeze[]) => Decision, expectations?: Expectation[] | (() => Promise<Expectation[]>), first?: DecisionRead | null): Promise<Outcome>;
  /** What a transition decides on, read ahead (with other reads at the same time) and handed to `transition` as its first read. */
  read(id: string): Promise<DecisionRead>;
  transitionWithSnapshot(id: string, environments: readonly string[], decide: (current: Promotion, snapshot: AppSnapshot) => Decision): Promise<Outcome>;
  /** What runs in the environment a promotion comes from, whether a deployment there is in flight, and what a commit relying on that must still find. */
  fromState(app: string, environment: string): Promise<{ live: DeployedVersion | null; deploying: string | null; drift?: OpenDrift | null; expectations: Expectation[] }>;
}

/**
 * Follow-up work as jobs. Every method is idempotent for the same arguments (ids are
 * deterministic), so the outbox relay may deliver an entry twice.
 */
export interface Jobs {
  deploy(promotion: Promotion): Promise<void>;
  /** Why the deploy job of this deployment gave up, if it did (attempts exhausted, stalled too often, unrecoverable). */
  deployFailure(promotion: Promotion): Promise<string | null>;
  render(promotionId: string, at?: Instant): Promise<void>;
  /** Post the promotion's thread notes not yet posted, in order (the commit appended them to its notes list). */
  notes(promotionId: string, key: string): Promise<void>;
  /** An alert's line in a promotion's thread: joins its notes list once per `key`, then goes out in turn. */
  alertNote(promotionId: string, key: string, text: string): Promise<void>;
  /** Run the promotion's gates as one flow: a child per gate, a parent that settles the run. */
  runGates(promotion: Promotion, run: number): Promise<void>;
  /** Look at the calendar (and lapsing approvals) again at `at`. */
  checkWindow(promotionId: string, at: Instant): Promise<void>;
  /** Ping the thread at `at` (a reminder, or an escalation) if the promotion still waits for approval then. */
  remind(promotionId: string, stage: 'remind' | 'escalate', at: Instant): Promise<void>;
  /** Check again, now, a promotion a lifted lock held back (once per `key`: each unlock has its own). */
  lockLifted(promotionId: string, key: string): Promise<void>;
  renderAlert(alertKey: string): Promise<void>;
  /** Keep the drift message of an app and environment equal to its drift record. */
  renderDrift(app: string, environment: string): Promise<void>;
  /** Start a rollback queued behind a deployment that ended. */
  startQueued(promotionId: string, key: string): Promise<void>;
  /** Mark `original` rolled back by the deployed rollback `rollbackId`. */
  markRolledBack(original: string, rollbackId: string, key: string): Promise<void>;
  /** Roll back the promotion an alert blames, as the environment's auto_on_alert allows. */
  alertRollback(promotionId: string, alertKey: string, key: string): Promise<void>;
  /** Keep a data refresh's message equal to its record. */
  renderRefresh(refreshId: string): Promise<void>;
  /** Run a refresh's copy through its executor (once per refresh), then follow it to its end. */
  copyData(refreshId: string): Promise<void>;
  /** Why a refresh's `refresh-copy` or `refresh-scan` job gave up for good, if it did. */
  refreshJobFailure(job: 'refresh-copy' | 'refresh-scan', refreshId: string): Promise<string | null>;
  /** Scan the sample of a refresh's copy for personal data. */
  scanRefresh(refreshId: string): Promise<void>;
  /** A line in a refresh's thread, posted once per `key`. */
  refreshNote(refreshId: string, key: string, text: string): Promise<void>;
}

/** The release calendar of each environment, as currently written. */
export interface Calendars {
  calendarFor(environment: string): Calendar | null;
}

/** Who belongs to a Slack user group. */
export interface Directory {
  membersOf(groupId: string): Promise<ReadonlySet<string>>;
}

/** A directory failure with a sentence a person can act on (for example, a free Slack plan). */
export class DirectoryError extends Error {}

export interface Clock {
  now(): Instant;
}

export const systemClock: Clock = { now: () => Date.now() };
