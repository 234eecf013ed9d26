import { DelayedError, Worker, type Job } from 'bullmq';
import { settingsFactsFor } from '../config/to-policy.js';
import type { GateOutcome, GateProgress } from '../domain/gates.js';
import { createGate } from '../gates/create-gate.js';
import { GateError, type GateVerdict, type GateWait } from '../gates/gate.js';
import type { SoakFacts } from '../gates/soak-gate.js';
import type { GateProgressLog } from '../store/gate-progress.js';
import { QUEUE, type GateJob } from './queues.js';
import type { WorkerDeps } from './workers.js';

/** Gates mostly wait on the network (CI, coverage, Prometheus), so one worker runs many at once. */
export const GATE_CONCURRENCY = 32;

/** How a gate's job shows its progress while the run is under way: outside the record, then a re-render. */
export interface LiveGates {
  progress: GateProgressLog;
  render(promotionId: string): Promise<void>;
}

/** What a gate child returns: its gate and verdict, which the settle parent reads from BullMQ. */
export interface GateJobResult {
  gate: string;
  outcome: GateOutcome;
}

/**
 * Runs gate children and settles their parent. Each try has the gate's timeout; an
 * error is retried up to the gate's `retries` and returned on the last try; a gate that
 * must wait (a soak) moves its job to the delayed set until then. A child's verdict is
 * its job's return value, shown live meanwhile; the parent commits every verdict of the
 * run in one transition, and a child that gave up (its worker died too often, say) as
 * an error. Two workers never hold the same child at once: BullMQ's job lock, with
 * deterministic ids.
 */
export function createGateWorker(deps: WorkerDeps, facts: SoakFacts, live: LiveGates): Worker<GateJob> {
  const { config, store, service, clock, log } = deps;
  const settings = settingsFactsFor(config);
  const rehearsals = { drills: (app: string, environment: string) => store.drills(app, environment, 20), from: settings.from };

  async function show(promotionId: string, run: number, gate: string, progress: GateProgress): Promise<void> {
    await live.progress.show(promotionId, run, gate, progress);
    await live.render(promotionId);
  }

  /** What the gate needs to know of the promotion: from the job, or (older jobs) from the record while it still checks this run. */
  async function subjectOf(data: GateJob): Promise<{ app: string; version: string; environment: string } | null> {
    if (data.app !== undefined && data.version !== undefined && data.environment !== undefined) return { app: data.app, version: data.version, environment: data.environment };
    const p = (await store.get(data.promotionId))?.promotion;
    return p && p.state === 'checking' && p.gates?.run === data.run ? p : null;
  }

  async function runGate(job: Job<GateJob>, token: string | undefined): Promise<GateJobResult | null> {
    const { promotionId, run, gate } = job.data;
    if (!gate) return null;
    const subject = await subjectOf(job.data);
    if (!subject) return null;
    const gateConfig = config.gates[gate];
    if (!gateConfig) return { gate, outcome: { status: 'error', summary: `gate ${gate} is no longer configured`, evidenceUrl: null, durationMs: null } };
    const attempt = job.attemptsMade + 1;
    // A first try shows as running from the request on; a retry says which try it is.
    if (attempt > 1) await show(promotionId, run, gate, { status: 'running', summary: `running (try ${attempt})`, evidenceUrl: null });
    const started = clock.now();
    let verdict: GateVerdict | GateWait;
    try {
      verdict = await createGate(gateConfig, facts, settings, rehearsals).run({ promotionId, ...subject, now: started, signal: AbortSignal.timeout(gateConfig.timeout) });
    } catch (error) {
      if (!(error instanceof GateError)) log.error({ promotion: promotionId, gate, err: error }, 'gate failed unexpectedly');
      verdict = { status: 'error', summary: error instanceof GateError ? error.message : `unexpected failure: ${(error as Error).message}`, evidenceUrl: null };
    }
    if (verdict.status === 'wait') {
      await show(promotionId, run, gate, { status: 'running', summary: verdict.summary, evidenceUrl: null });
      if (!token) throw new Error('a waiting gate needs its job token');
      await job.moveToDelayed(Date.now() + Math.max(1000, verdict.until - clock.now()), token);
      throw new DelayedError();
    }
    if (verdict.status === 'error' && attempt < (job.opts.attempts ?? 1)) throw new GateError(verdict.summary);
    const outcome: GateOutcome = { ...verdict, durationMs: clock.now() - started };
    await show(promotionId, run, gate, { status: outcome.status, summary: outcome.summary, evidenceUrl: outcome.evidenceUrl });
    return { gate, outcome };
  }

  /** Reads what the children returned (or why they gave up), commits it once, then drops the run's live progress. */
  async function settle(job: Job<GateJob>): Promise<void> {
    const { promotionId, run } = job.data;
    const [values, failures] = await Promise.all([job.getChildrenValues<GateJobResult | null>(), job.getIgnoredChildrenFailures()]);
    const verdicts = new Map(Object.values(values).flatMap((v) => (v ? [[v.gate, v.outcome] as const] : [])));
    const childPrefix = `gate-${promotionId}-r${run}-`;
    const gaveUp = new Map(
      Object.entries(failures).flatMap(([key, reason]) => {
        const id = key.slice(key.lastIndexOf(':') + 1);
        return id.startsWith(childPrefix) ? [[id.slice(childPrefix.length), reason] as const] : [];
      }),
    );
    await service.gatesSettled(promotionId, run, verdicts, gaveUp);
    await live.progress.clear(promotionId, run, [...verdicts.keys(), ...gaveUp.keys()]);
  }

  return new Worker<GateJob>(
    QUEUE.gates,
    async (job, token) => (job.name === 'settle' ? settle(job) : runGate(job, token)),
    { connection: deps.connection, prefix: config.queue.prefix, concurrency: GATE_CONCURRENCY, lockDuration: config.queue.lock_duration, stalledInterval: config.queue.stalled_interval },
  );
}
