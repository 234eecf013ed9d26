import type { Redis } from 'ioredis';
import type { AuditFact } from '../domain/decision.js';
import { chainEntries, chainName, type AuditSubject } from './audit-chain.js';
import type { AuditKey } from './audit-key.js';
import type { CommitPlan } from './commit-script.js';
import type { Keys } from './keys.js';

export interface AuditWriterOptions {
  /** Whether APP in ENV gets a chain of its own; facts about anything else go to the unscoped chain. Every pair does by default. */
  scoped?: (app: string, environment: string) => boolean;
  /** Puts every fact on this one chain: the single serialization point of old, for comparison in the benchmark only. */
  sharedChain?: string;
}

/** Chooses the chain a fact belongs to and adds its keyed entries to a commit. */
export class AuditWriter {
  constructor(
    private readonly keys: Keys,
    private readonly key: AuditKey,
    private readonly options: AuditWriterOptions = {},
  ) {}

  chainOf(app: string | null, environment: string | null): string {
    if (this.options.sharedChain) return this.options.sharedChain;
    const scoped = app !== null && environment !== null && (this.options.scoped?.(app, environment) ?? true);
    return scoped ? chainName(app, environment) : chainName(null, null);
  }

  headKey(chain: string): string {
    return this.keys.auditHead(chain);
  }

  async head(redis: Redis, chain: string): Promise<string> {
    return (await redis.get(this.keys.auditHead(chain))) ?? '';
  }

  /**
   * Chains the facts after `head` into the plan, each group about its own subject (a
   * commit may change several promotions of one app and environment); the commit applies
   * only if that head is still current.
   */
  append(plan: CommitPlan, chain: string, head: string, groups: { facts: AuditFact[]; subject: AuditSubject }[], at: string): void {
    const entries: string[] = [];
    let tip = head;
    for (const { facts, subject } of groups) {
      const chained = chainEntries(this.key, chain, tip, facts, subject, at);
      entries.push(...chained.entries);
      tip = chained.nextHead;
    }
    if (entries.length > 0) plan.appendAudit({ name: chain, log: this.keys.auditLog(chain), head: this.keys.auditHead(chain), index: this.keys.auditChains }, head, entries, tip);
  }
}
