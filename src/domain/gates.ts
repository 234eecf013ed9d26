import { accept, refuse, unchanged, type AuditFact, type Decision } from './decision.js';
import { describeApprovers, isAuthorized, type EnvironmentPolicy } from './policy.js';
import { isGateFinal, type GateResult, type Instant, type Promotion } from './promotion.js';
import { policyFor } from './readiness.js';
import { startIfReady } from './deploy-start.js';
import type { Click } from './approvals.js';
import { escapeMrkdwn } from './slack-text.js';

function currentRun(p: Promotion, run: number, gate?: string): string | null {
  if (p.state !== 'checking' || p.gates?.run !== run) return `Promotion ${p.id} is not checking run ${run}.`;
  if (gate !== undefined && !(gate in p.gates.results)) return `Promotion ${p.id} has no gate ${gate}.`;
  return null;
}

/** A gate's verdict as its job returns it, with how long the gate took. */
export type GateOutcome = Omit<GateResult, 'configHash'>;

/** What a gate shows while its run is under way: running (with what it waits for), or its verdict already. */
export type GateProgress = Pick<GateResult, 'status' | 'summary' | 'evidenceUrl'>;

/**
 * The promotion as its message shows it while gates run: each gate still without a
 * recorded verdict shows its live progress instead. The record itself is unchanged.
 */
export function withGateProgress(p: Promotion, progress: ReadonlyMap<string, GateProgress>): Promotion {
  if (p.state !== 'checking' || p.gates === null || progress.size === 0) return p;
  const results = Object.fromEntries(
    Object.entries(p.gates.results).map(([name, r]) => {
      const live = progress.get(name);
      return [name, live && !isGateFinal(r.status) ? { ...r, ...live } : r];
    }),
  );
  return { ...p, gates: { run: p.gates.run, results } };
}

/**
 * Every child of the run has finished (or given up): the verdicts their jobs returned are
 * recorded at once, each with its evidence in the audit; a gate whose job gave up is an
 * error. All passed goes on to approvals and the calendar, anything else blocks.
 */
export function decideGatesSettled(p: Promotion, run: number, verdicts: ReadonlyMap<string, GateOutcome>, gaveUp: ReadonlyMap<string, string>, env: EnvironmentPolicy, now: Instant): Decision {
  const stale = currentRun(p, run);
  if (stale) return unchanged(stale);
  const recorded: AuditFact[] = [];
  const results = Object.fromEntries(
    Object.entries(p.gates!.results).map(([name, before]): [string, GateResult] => {
      if (isGateFinal(before.status)) return [name, before];
      const verdict = verdicts.get(name);
      const reason = gaveUp.get(name);
      const result: GateResult = verdict
        ? { ...verdict, configHash: before.configHash }
        : { ...before, status: 'error', summary: reason ? `the gate did not finish (its job failed: ${reason})` : 'the gate did not finish (its job failed)', evidenceUrl: null, durationMs: null };
      recorded.push({ type: `gate_${result.status}`, actor: 'shipgate', detail: { gate: name, run, summary: result.summary, evidence: result.evidenceUrl, duration_ms: result.durationMs, gate_config: result.configHash } });
      return [name, result];
    }),
  );
  const settled: Promotion = { ...p, gates: { run, results } };
  const problems = Object.entries(results).filter(([, r]) => r.status !== 'passed');
  if (problems.length === 0) {
    const started = startIfReady({ ...settled, state: 'awaiting_approval' }, env, now);
    return accept(started.next, [...recorded, { type: 'gates_passed', actor: 'shipgate', detail: { run } }, ...started.audit], [{ type: 'render' }, { type: 'note', text: 'All gates passed.' }, ...started.effects]);
  }
  const reason = problems.map(([name, r]) => `${name} ${r.status === 'error' ? 'could not run' : 'failed'}: ${r.summary}`).join('; ');
  const shown = escapeMrkdwn(reason);
  return accept(
    { ...settled, state: 'blocked' },
    [...recorded, { type: 'blocked', actor: 'shipgate', detail: { run, reason } }],
    [{ type: 'render' }, { type: 'note', text: `Blocked: ${shown}. Fix it and press *Re-run gates*, or cancel.` }],
  );
}

/** **Re-run gates** on a blocked promotion: a new run, every gate pending. Approvals stay: the version is the same. */
export function decideRerunGates(p: Promotion, click: Click, env: EnvironmentPolicy): Decision {
  if (p.state !== 'blocked' || p.gates === null) return refuse(`This promotion is ${p.state.replace('_', ' ')}; only a blocked promotion's gates can be re-run.`);
  const policy = policyFor(p, env);
  const approver = policy.approvers.length > 0 && isAuthorized(policy, click.user, click.memberOf);
  if (click.user !== p.requester && !approver) {
    return refuse(click.membershipUnknown ?? `Only the person who asked for this promotion or an approver (${describeApprovers(policy)}) can re-run its gates.`);
  }
  const run = p.gates.run + 1;
  const results = Object.fromEntries(Object.entries(p.gates.results).map(([name, r]) => [name, { ...r, status: 'pending' as const, summary: 'waiting to run', evidenceUrl: null, durationMs: null }]));
  return accept(
    { ...p, state: 'checking', gates: { run, results } },
    [{ type: 'gates_rerun', actor: click.user, detail: { run } }],
    [{ type: 'render' }, { type: 'run-gates', run }, { type: 'note', text: `<@${click.user}> re-ran the gates (run ${run}).` }],
    { reply: `Re-running the gates (run ${run}).` },
  );
}
