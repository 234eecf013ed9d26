import type { Logger } from 'pino';
import { decideFreeze, decideUnfreeze, heldByFreeze, inForce, type AdHocFreeze, type FreezeDecision } from '../domain/ad-hoc-freeze.js';
import type { Policy } from '../domain/policy.js';
import type { LockStore } from '../store/lock-store.js';
import { approverGroupsOf } from './membership.js';
import type { Clock, Directory } from './ports.js';

export type FreezeResult = { ok: true; reply: string } | { ok: false; reason: string };

export interface FreezeRequest {
  environment: string;
  user: string;
  /** Null when the command named no duration. */
  durationMs: number | null;
  allow: readonly string[];
  reason: string;
}

/** `/promote freeze` and `/promote unfreeze`: approvers of the environment close it now, for a while, and open it again. */
export class FreezeService {
  constructor(
    private readonly policy: Policy,
    private readonly store: LockStore,
    private readonly directory: Directory,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async freeze(request: FreezeRequest): Promise<FreezeResult> {
    const ask = await this.ask(request.environment, request.user);
    return this.result(await this.store.changeFreezes(request.environment, (stored) => decideFreeze({ ...ask, ...request }, this.policy, stored), heldByFreeze), request.environment);
  }

  async unfreeze(environment: string, user: string): Promise<FreezeResult> {
    const ask = await this.ask(environment, user);
    return this.result(await this.store.changeFreezes(environment, (stored) => decideUnfreeze(ask, this.policy, stored), heldByFreeze), environment);
  }

  /** Every ad-hoc freeze in force now, environment by environment. */
  async all(): Promise<AdHocFreeze[]> {
    return inForce(await this.store.allFreezes([...this.policy.environments.keys()]), this.clock.now());
  }

  private async ask(environment: string, user: string) {
    const env = this.policy.environments.get(environment);
    const membership = env ? await approverGroupsOf(this.directory, env.approvals, user) : { memberOf: [], unknown: null };
    return { environment, user, memberOf: membership.memberOf, membershipUnknown: membership.unknown, now: this.clock.now() };
  }

  private result(decision: FreezeDecision, environment: string): FreezeResult {
    if (decision.kind === 'refuse') return { ok: false, reason: decision.reason };
    this.log.info({ environment, actor: decision.audit.actor }, decision.audit.type === 'frozen' ? 'environment frozen' : 'freeze lifted');
    return { ok: true, reply: decision.reply };
  }
}
