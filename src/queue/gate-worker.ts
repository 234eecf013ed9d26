import { DelayedError, Worker, type Job } from 'bullmq';
import { settingsFactsFor } from '../config/to-policy.js';
import { createGate } from '../gates/create-gate.js';
import { GateError, type GateVerdict, type GateWait } from '../gates/gate.js';
import type { SoakFacts } from '../gates/soak-gate.js';
import { QUEUE, type GateJob } from './queues.js';
import type { WorkerDeps } from './workers.js';

/**
 * Runs gate children and settles their parent. Each try has the gate's timeout; an
 * error is retried up to the gate's `retries` and recorded on the last try; a gate
 * that must wait (a soak) moves its job to the delayed set until then. Two workers
 * never hold the same child at once: BullMQ's job lock, with deterministic ids.
 */
/** Gates mostly wait on the network (CI, coverage, Prometheus), so one worker runs many at once. */
export const GATE_CONCURRENCY = 8;

export function createGateWorker(deps: WorkerDeps, facts: SoakFacts): Worker<GateJob> {
  const { config, store, service, clock, log } = deps;
  const settings = settingsFactsFor(config);

  async function runGate(job: Job<GateJob>, token: string | undefined): Promise<void> {
    const { promotionId, run, gate } = job.data;
    const stored = await store.get(promotionId);
    const p = stored?.promotion;
    if (!p || !gate || p.state !== 'checking' || p.gates?.run !== run) return;
    const gateConfig = config.gates[gate];
    if (!gateConfig) {
      await service.gateFinished(promotionId, run, gate, { status: 'error', summary: `gate ${gate} is no longer configured`, evidenceUrl: null, durationMs: null });
      return;
    }
    const attempt = job.attemptsMade + 1;
    await service.gateRunning(promotionId, run, gate, attempt > 1 ? `running (try ${attempt})` : 'running');
    const started = clock.now();
    let verdict: GateVerdict | GateWait;
    try {
      verdict = await createGate(gateConfig, facts, settings).run({ promotionId, app: p.app, version: p.version, environment: p.environment, now: started, signal: AbortSignal.timeout(gateConfig.timeout) });
    } catch (error) {
      if (!(error instanceof GateError)) log.error({ promotion: promotionId, gate, err: error }, 'gate failed unexpectedly');
      verdict = { status: 'error', summary: error instanceof GateError ? error.message : `unexpected failure: ${(error as Error).message}`, evidenceUrl: null };
    }
    if (verdict.status === 'wait') {
      await service.gateRunning(promotionId, run, gate, verdict.summary);
      if (!token) throw new Error('a waiting gate needs its job token');
      await job.moveToDelayed(Date.now() + Math.max(1000, verdict.until - clock.now()), token);
      throw new DelayedError();
    }
    if (verdict.status === 'error' && attempt < (job.opts.attempts ?? 1)) throw new GateError(verdict.summary);
    await service.gateFinished(promotionId, run, gate, { ...verdict, durationMs: clock.now() - started });
  }

  return new Worker<GateJob>(
    QUEUE.gates,
    async (job, token) => {
      if (job.name === 'settle') await service.gatesSettled(job.data.promotionId, job.data.run);
      else await runGate(job, token);
    },
    { connection: deps.connection, prefix: config.queue.prefix, concurrency: GATE_CONCURRENCY, lockDuration: config.queue.lock_duration, stalledInterval: config.queue.stalled_interval },
  );
}
