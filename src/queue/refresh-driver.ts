import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import ms from 'ms';
import type { Logger } from 'pino';
import { SAMPLE_PLACEHOLDERS } from '../config/dataset-schema.js';
import type { ShipgateConfig } from '../config/schema.js';
import { withoutQuery, type Refresh, type ScanEvidence } from '../domain/refresh.js';
import { withoutUserinfo } from '../domain/redact.js';
import { copyRequestFor, createCopyExecutor, type AsyncCopyExecutor } from '../executors/copy-executor.js';
import { executorTiming } from '../executors/create-executor.js';
import { DeployError, type DeploymentStatus } from '../executors/executor.js';
import { DataScanGate, PII_KINDS } from '../gates/data-scan-gate.js';
import type { Clock } from '../service/ports.js';
import type { RefreshService } from '../service/refresh-service.js';
import type { DeployJob } from './queues.js';

/** Read when the copy target names the sample and shipgate.yml gives no `sample:` settings. */
const DEFAULT_SAMPLE = { timeoutMs: 60_000, maxBytes: 10_000_000 };

function fill(template: string, r: Refresh): string {
  return template.replace(SAMPLE_PLACEHOLDERS, (_m, key: 'dataset' | 'environment' | 'refresh') => encodeURIComponent(key === 'dataset' ? r.dataset : key === 'environment' ? r.to : r.id));
}

/**
 * A refresh's two jobs. `copy` follows the asynchronous executor contract as a deployment
 * does: `start` once (idempotent on the refresh id), the handle recorded, `status` polled
 * with delayed jobs until the copy settles or times out. `scan` reads the copy's sample
 * (the URL configured for the dataset, else the one the copy target named) and counts
 * personal data in it; the counts are the evidence the refresh is judged on.
 */
export class RefreshDriver {
  private readonly executors = new Map<string, AsyncCopyExecutor>();

  constructor(
    private readonly config: ShipgateConfig,
    private readonly service: RefreshService,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  private executorNamed(name: string): AsyncCopyExecutor {
    let executor = this.executors.get(name);
    if (!executor) {
      const config = this.config.executors[name];
      if (!config) throw new UnrecoverableError(`no executor called "${name}" in shipgate.yml`);
      executor = createCopyExecutor(config, { log: this.log, now: () => this.clock.now() });
      this.executors.set(name, executor);
    }
    return executor;
  }

  async copy(job: Job<DeployJob>, token: string | undefined): Promise<void> {
    const id = job.data.refreshId ?? '';
    const r = await this.service.get(id);
    if (!r || r.state !== 'copying' || !r.copy) return;
    const log = this.log.child({ refresh: id });
    const executor = this.executorNamed(r.executor);
    const { pollEveryMs, timeoutMs } = executorTiming(this.config.executors[r.executor]!);
    if (r.copy.handle === null) {
      let started;
      try {
        started = await executor.start(copyRequestFor(r));
      } catch (error) {
        log.warn({ attempt: job.attemptsMade + 1, reason: (error as Error).message }, 'copy attempt failed');
        if (error instanceof DeployError && error.permanent) throw new UnrecoverableError(error.message);
        throw error;
      }
      const first = await executor.status(started.handle).catch((error: unknown) => (error instanceof DeployError ? null : Promise.reject(error)));
      if (first && first.state !== 'running') return this.settle(id, first);
      if (!(await this.service.copyRunning(id, started.handle, started.link))) return;
    } else {
      let status: DeploymentStatus;
      try {
        status = await executor.status(r.copy.handle);
      } catch (error) {
        if (!(error instanceof DeployError)) throw error;
        log.warn({ reason: error.message }, 'could not read the copy status; polling again');
        status = { state: 'running', link: null, detail: error.message };
      }
      if (status.state !== 'running') return this.settle(id, status);
      if (this.clock.now() - r.copy.startedAt >= timeoutMs) {
        if (executor.cancel) await executor.cancel(r.copy.handle).catch(() => undefined);
        return this.service.copyFailed(id, `it did not finish within ${ms(timeoutMs, { long: true })}`);
      }
    }
    if (!token) throw new Error('a copy that runs on needs its job token to poll');
    await job.moveToDelayed(Date.now() + pollEveryMs, token);
    throw new DelayedError();
  }

  private async settle(id: string, status: Exclude<DeploymentStatus, { state: 'running' }>): Promise<void> {
    if (status.state === 'succeeded') return this.service.copySucceeded(id, status.sampleUrl ?? null, status.link);
    return this.service.copyFailed(id, status.reason);
  }

  /** BullMQ will not try a refresh's job again: the copy failed, or its sample could not be read. */
  async gaveUp(jobName: string, id: string, reason: string): Promise<void> {
    if (jobName === 'refresh-copy') return this.service.copyFailed(id, reason);
    if (jobName === 'refresh-scan') return this.service.scanUnavailable(id, `the sample could not be read: ${reason}`);
  }

  /** Throws when the sample cannot be read, so the job retries; its final failure fails the refresh. */
  async scan(id: string): Promise<void> {
    const r = await this.service.get(id);
    if (!r || r.state !== 'scanning') return;
    const sample = this.config.datasets[r.dataset]?.sample;
    const named = r.copy?.sampleUrl ?? null;
    if (!sample && !named) {
      return this.service.scanUnavailable(id, `there is no sample of the copy to scan: set datasets.${r.dataset}.sample.url in shipgate.yml, or have the copy target answer with a sample_url`);
    }
    // The configured sample is the operator's own evidence and gets its headers; a URL the copy target named gets none.
    const scan = sample
      ? { url: fill(sample.url, r), shown: fill(withoutUserinfo(sample.url_as_written ?? sample.url), r), headers: sample.headers, forbid: sample.forbid, timeoutMs: sample.timeout, maxBytes: sample.max_size }
      : { url: named!, shown: withoutQuery(withoutUserinfo(named!)), headers: {}, forbid: PII_KINDS, ...DEFAULT_SAMPLE };
    const gate = new DataScanGate({ url: scan.url, headers: scan.headers, forbid: scan.forbid, timeoutMs: scan.timeoutMs, maxBytes: scan.maxBytes });
    const counter = await gate.count({ app: r.dataset, version: r.id, environment: r.to, signal: AbortSignal.timeout(scan.timeoutMs) });
    const verdict = counter.verdict(scan.shown);
    const evidence: ScanEvidence = { passed: verdict.status === 'passed', summary: verdict.summary, url: scan.shown, records: counter.records, counts: { ...counter.counts }, at: this.clock.now() };
    await this.service.scanned(id, evidence);
  }
}
