import type { Logger } from 'pino';
import { decideLock, decideUnlock, heldBack, type Lock, type LockDecision } from '../domain/lock.js';
import type { Policy } from '../domain/policy.js';
import type { LockStore } from '../store/lock-store.js';
import { approverGroupsOf } from './membership.js';
import type { Clock, Directory } from './ports.js';

export type LockResult = { ok: true; reply: string } | { ok: false; reason: string };

/** `/promote lock` and `/promote unlock`: approvers of the environment stop and restart the line. */
export class LockService {
  constructor(
    private readonly policy: Policy,
    private readonly store: LockStore,
    private readonly directory: Directory,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async lock(environment: string, app: string | null, user: string, reason: string): Promise<LockResult> {
    const ask = await this.ask(environment, app, user);
    return this.result(await this.store.change(environment, app, (locks) => decideLock({ ...ask, reason }, this.policy, locks), heldBack), environment, app);
  }

  async unlock(environment: string, app: string | null, user: string): Promise<LockResult> {
    const ask = await this.ask(environment, app, user);
    return this.result(await this.store.change(environment, app, (locks) => decideUnlock(ask, this.policy, locks), heldBack), environment, app);
  }

  /** Every lock in force, environment by environment. */
  async all(): Promise<Lock[]> {
    return this.store.all([...this.policy.environments.keys()]);
  }

  private async ask(environment: string, app: string | null, user: string) {
    const env = this.policy.environments.get(environment);
    const membership = env ? await approverGroupsOf(this.directory, env.approvals, user) : { memberOf: [], unknown: null };
    return { environment, app, user, memberOf: membership.memberOf, membershipUnknown: membership.unknown, now: this.clock.now() };
  }

  private result(decision: LockDecision, environment: string, app: string | null): LockResult {
    if (decision.kind === 'refuse') return { ok: false, reason: decision.reason };
    this.log.info({ environment, app, actor: decision.audit.actor }, decision.audit.type === 'locked' ? 'lock taken' : 'lock lifted');
    return { ok: true, reply: decision.reply };
  }
}
