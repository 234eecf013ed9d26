import type { Calendar } from '../domain/calendar/calendar.js';
import type { Decision } from '../domain/decision.js';
import type { Instant, Promotion } from '../domain/promotion.js';
import type { AppSnapshot, DeployedVersion } from '../domain/request.js';
import type { Outcome, StoredPromotion } from '../store/promotion-store.js';

/** Where promotions live; every change is a compare-and-set commit with its audit entries. */
export interface PromotionRepository {
  nextId(): Promise<string>;
  get(id: string): Promise<StoredPromotion | null>;
  current(app: string, environment: string): Promise<DeployedVersion | null>;
  active(): Promise<Promotion[]>;
  create(app: string, environment: string, environments: readonly string[], decide: (snapshot: AppSnapshot) => Decision): Promise<Outcome>;
  transition(id: string, decide: (current: Promotion) => Decision): Promise<Outcome>;
}

/** Follow-up work, queued after a commit. Every method is idempotent for the same arguments. */
export interface Jobs {
  deploy(promotion: Promotion): Promise<void>;
  render(promotionId: string, at?: Instant): Promise<void>;
  /** Post the promotion's thread notes, in order, up to POSITION (1-based) in its notes list. */
  notes(promotionId: string, position: number): Promise<void>;
  /** Run the promotion's gates as one flow: a child per gate, a parent that settles the run. */
  runGates(promotion: Promotion, run: number): Promise<void>;
  /** Look at the calendar again at `at` (a scheduled promotion's next opening). */
  checkWindow(promotionId: string, at: Instant): Promise<void>;
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
