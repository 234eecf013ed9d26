import type { Logger } from 'pino';
import type { HeldDelegation } from '../domain/approvals.js';
import { decideDelegate, decideUndelegate, heldFor, inForce, type Delegation, type DelegationDecision } from '../domain/delegation.js';
import { isAuthorized, type ApprovalPolicy, type Policy } from '../domain/policy.js';
import type { DelegationStore } from '../store/delegation-store.js';
import { approverGroupsOf } from './membership.js';
import type { Clock, Directory } from './ports.js';

export type DelegationResult = { ok: true; reply: string } | { ok: false; reason: string };

/** Approval rights held by someone other than the approver: what an approval click reads. */
export interface DelegationSource {
  /** Delegations USER holds now for ENVIRONMENT, with each delegator's groups under POLICY. */
  heldBy(user: string, environment: string, policy: ApprovalPolicy): Promise<HeldDelegation[]>;
}

/** `/promote delegate`, `undelegate` and `delegations`. */
export class DelegationService implements DelegationSource {
  constructor(
    private readonly policy: Policy,
    private readonly store: DelegationStore,
    private readonly directory: Directory,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async delegate(delegator: string, delegate: string, until: number, environments: string[]): Promise<DelegationResult> {
    const known = [...this.policy.environments.keys()];
    const mayApprove: string[] = [];
    let membershipUnknown: string | null = null;
    for (const [name, env] of this.policy.environments) {
      // Only environments that name approvers: where anyone may approve, there is no right to hand on.
      if (env.approvals.approvers.length === 0) continue;
      const membership = await approverGroupsOf(this.directory, env.approvals, delegator);
      membershipUnknown ??= membership.unknown;
      if (isAuthorized(env.approvals, delegator, membership.memberOf)) mayApprove.push(name);
    }
    const now = this.clock.now();
    return this.result(await this.store.change((existing) => decideDelegate({ delegator, delegate, until, environments, known, mayApprove, membershipUnknown, now }, existing)));
  }

  async undelegate(delegator: string, delegate: string): Promise<DelegationResult> {
    return this.result(await this.store.change((existing) => decideUndelegate(delegator, delegate, existing, this.clock.now())));
  }

  async inForce(): Promise<Delegation[]> {
    return inForce(await this.store.all(), this.clock.now());
  }

  async heldBy(user: string, environment: string, policy: ApprovalPolicy): Promise<HeldDelegation[]> {
    const held = heldFor(await this.store.all(), user, environment, this.clock.now());
    return Promise.all(held.map(async (d) => ({ delegator: d.delegator, until: d.until, memberOf: (await approverGroupsOf(this.directory, policy, d.delegator)).memberOf })));
  }

  private result(decision: DelegationDecision): DelegationResult {
    if (decision.kind === 'refuse') return { ok: false, reason: decision.reason };
    this.log.info({ actor: decision.audit.actor, ...decision.audit.detail }, decision.audit.type);
    return { ok: true, reply: decision.reply };
  }
}
