import { accept, refuse, unchanged, type Decision } from './decision.js';
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

/** A worker picked a gate up; shown as running. */
export function decideGateRunning(p: Promotion, run: number, gate: string, summary: string): Decision {
  const stale = currentRun(p, run, gate);
  if (stale) return unchanged(stale);
  const result = p.gates!.results[gate]!;
  if (isGateFinal(result.status) || (result.status === 'running' && result.summary === summary)) return unchanged('already running');
  return accept({ ...p, gates: { run, results: { ...p.gates!.results, [gate]: { ...result, status: 'running', summary } } } }, [], [{ type: 'render' }]);
}

/** A gate's verdict, with its evidence, recorded once per run. */
export function decideGateResult(p: Promotion, run: number, gate: string, verdict: Omit<GateResult, 'configHash'>): Decision {
  const stale = currentRun(p, run, gate);
  if (stale) return unchanged(stale);
  const before = p.gates!.results[gate]!;
  if (isGateFinal(before.status)) return unchanged(`Gate ${gate} already has its result for run ${run}.`);
  const result: GateResult = { ...verdict, configHash: before.configHash };
  return accept(
    { ...p, gates: { run, results: { ...p.gates!.results, [gate]: result } } },
    [
      {
        type: `gate_${result.status}`,
        actor: 'shipgate',
        detail: { gate, run, summary: result.summary, evidence: result.evidenceUrl, duration_ms: result.durationMs, gate_config: result.configHash },
      },
    ],
    [{ type: 'render' }],
  );
}

/**
 * Every child of the run has finished (or given up): a gate still without a verdict is
 * an error; all passed goes on to approvals and the calendar, anything else blocks.
 */
export function decideGatesSettled(p: Promotion, run: number, env: EnvironmentPolicy, now: Instant): Decision {
  const stale = currentRun(p, run);
  if (stale) return unchanged(stale);
  const results = Object.fromEntries(
    Object.entries(p.gates!.results).map(([name, r]) => [name, isGateFinal(r.status) ? r : { ...r, status: 'error' as const, summary: 'the gate did not finish (its job failed)', durationMs: null }]),
  );
  const settled: Promotion = { ...p, gates: { run, results } };
  const problems = Object.entries(results).filter(([, r]) => r.status !== 'passed');
  if (problems.length === 0) {
    const started = startIfReady({ ...settled, state: 'awaiting_approval' }, env, now);
    return accept(started.next, [{ type: 'gates_passed', actor: 'shipgate', detail: { run } }, ...started.audit], [{ type: 'render' }, { type: 'note', text: 'All gates passed.' }, ...started.effects]);
  }
  const reason = problems.map(([name, r]) => `${name} ${r.status === 'error' ? 'could not run' : 'failed'}: ${r.summary}`).join('; ');
  const shown = escapeMrkdwn(reason);
  return accept(
    { ...settled, state: 'blocked' },
    [{ type: 'blocked', actor: 'shipgate', detail: { run, reason } }],
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
