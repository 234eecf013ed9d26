#!/usr/bin/env node
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import type { Logger } from 'pino';
import { checkConfiguration } from './config/check-configuration.js';
import { formatProblem } from './config/config-error.js';
import type { LoadedConfig } from './config/load-config.js';
import { CalendarSource } from './config/load-calendars.js';
import { readCommandLine } from './cli/arguments.js';
import { checkConfig } from './cli/check-config.js';
import { runDoctor } from './cli/doctor.js';
import { formatFinding, type Finding } from './cli/doctor-findings.js';
import { loadDotEnv, type DotEnv } from './cli/dotenv.js';
import { nextSteps, writeStarter } from './cli/init.js';
import { StartupError } from './cli/startup-error.js';
import { packageVersion } from './cli/version.js';
import { Zone } from './domain/calendar/zone.js';
import { calendarJson, calendarReport } from './service/calendar-report.js';
import { missingSlackSettings, readSettings, type Settings } from './config/settings.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { connectRedis, probeRedis } from './queue/redis-connection.js';
import type { RedisVerdict } from './queue/redis-health.js';
import { startServe, startWorker, type Running } from './runtime.js';
import { AuditLog, type ChainReport } from './store/audit-log.js';
import { AuditArchive } from './store/audit-archive.js';
import { resolve } from 'node:path';
import { formatCheckpoints, parseCheckpoints, signCheckpoint, type Checkpoint } from './store/audit-checkpoint.js';
import { AuditKey, AUDIT_KEY_VARIABLE } from './store/audit-key.js';
import { keysFor } from './store/keys.js';
import { recordVerification } from './store/audit-verification.js';
import { isDataMovementChain } from './store/data-movement-chain.js';
import { formatReport, type ReportFormat } from './cli/report.js';
import { reportRows } from './domain/delivery-report.js';
import { toPolicy } from './config/to-policy.js';
import { readFigures, reportScope } from './service/delivery-report.js';
import { parsePeriod, REPORT_MAX_DAYS } from './slack/parse-command.js';
import { startsPlaygroundInstead } from './playground/playground-mode.js';
import { runPlayground } from './playground/run-playground.js';

function out(text: string) {
  writeSync(1, text.endsWith('\n') ? text : `${text}\n`);
}

function settingsOrExit(overrides: Record<string, string> = {}): Settings {
  const read = readSettings({ ...process.env, ...overrides });
  if (!read.ok) throw new StartupError(`The environment is not usable:\n  ${read.problems.join('\n  ')}`);
  return read.settings;
}

/** shipgate.yml and every calendar it implies, or one message listing everything that is wrong. */
function configOrExit(settings: Settings): LoadedConfig {
  const check = checkConfiguration(settings.configPath, settings.calendarsPath, process.env);
  if (check.problems.length > 0 || !check.loaded) {
    throw new StartupError(`The configuration is not valid:\n  ${check.problems.map(formatProblem).join('\n  ')}\nRun "shipgate check-config" to check it, or "shipgate doctor" to check everything.`);
  }
  return check.loaded;
}

/** The audit key, read once here at the edge; its value is never printed. */
function auditKeyOrExit(): AuditKey {
  const read = AuditKey.fromEnvironment(process.env[AUDIT_KEY_VARIABLE]);
  if (!read.ok) throw new StartupError(read.problem);
  return read.key;
}

async function requireRedis(settings: Settings): Promise<RedisVerdict> {
  const probe = await probeRedis(settings.redisUrl);
  if (!probe.ok) {
    throw new StartupError(`Cannot reach Redis at ${redactUrl(settings.redisUrl)} (${probe.reason}). Start it (redis-server --daemonize yes) or set REDIS_URL.`);
  }
  return probe.verdict;
}

/** Shipgate runs on such a Redis, but the operator reads at start what /readyz will say. */
function warnAboutRedis(log: Logger, settings: Settings, verdict: RedisVerdict): void {
  const redis = redactUrl(settings.redisUrl);
  if (verdict.problem) log.warn({ redis }, `${verdict.problem}; /readyz answers 503 until it is fixed`);
  for (const warning of verdict.warnings) log.warn({ redis }, warning);
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

async function run(roles: ('serve' | 'worker')[]): Promise<void> {
  const settings = settingsOrExit();
  const problems = missingSlackSettings(settings, roles.includes('serve') ? 'serve' : 'worker');
  if (problems.length > 0) throw new StartupError(`Slack is not configured:\n  ${problems.join('\n  ')}`);
  const auditKey = auditKeyOrExit();
  const config = configOrExit(settings);
  const verdict = await requireRedis(settings);
  const log = createLogger(settings.logLevel);
  warnAboutRedis(log, settings, verdict);
  const options = { config, metrics: createMetrics(), calendarsDir: settings.calendarsPath, redisUrl: settings.redisUrl, slack: { ...settings.slack, botToken: settings.slack.botToken! }, log, auditKey };
  const running: Running[] = [];
  // Alone, a worker serves its own health routes; beside `serve`, that one's cover both.
  if (roles.includes('worker')) running.push(await startWorker(options, roles.includes('serve') ? null : settings.workerPort));
  if (roles.includes('serve')) running.push(await startServe(options, settings.port));
  const stop = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await Promise.allSettled(running.map((r) => r.close()));
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** The playground, started explicitly or by `start` with no Slack variables; prints where it is. */
async function playground(why: 'asked' | 'no-slack'): Promise<void> {
  const started = await runPlayground(process.env, settingsOrExit(), why);
  if (!started.ok) throw new StartupError(started.problem);
  out(started.line);
}

/** `--type`: which chains an audit command reads; all of them without it. */
const AUDIT_TYPES: Record<string, (chain: string) => boolean> = { 'data-movement': isDataMovementChain };

async function audit(action: string | undefined, checkpointFile: string | undefined, type: string | undefined, output: string | undefined): Promise<number> {
  if (action !== 'verify' && action !== 'export') throw new StartupError('Usage: shipgate audit verify [--checkpoint FILE] [--type data-movement] | shipgate audit export [--checkpoint FILE] [--type data-movement] [--output FILE]');
  if (type !== undefined && !(type in AUDIT_TYPES)) throw new StartupError(`--type takes one of ${Object.keys(AUDIT_TYPES).join(', ')} (got "${type}").`);
  if (output !== undefined && action !== 'export') throw new StartupError('--output belongs to "shipgate audit export".');
  const only = type === undefined ? undefined : AUDIT_TYPES[type];
  const settings = settingsOrExit();
  const key = auditKeyOrExit();
  const config = configOrExit(settings);
  await requireRedis(settings);
  const redis = connectRedis(settings.redisUrl, 'http');
  try {
    const keys = keysFor(config.config.queue.prefix);
    // Entries past the retention live on in the archive folder; the chains verify across both.
    const log = new AuditLog(redis, keys, key, { archive: new AuditArchive(resolve(config.config.retention.archive)) });
    if (action === 'export') return await exportAudit(log, key, checkpointFile, only, output);
    const code = await verifyAudit(log, key, checkpointFile, only);
    await recordVerification(redis, keys, { at: Date.now(), ok: code === 0 });
    return code;
  } finally {
    redis.disconnect();
  }
}

function brokenLine(report: ChainReport): string | null {
  return report.check.ok ? null : `chain ${report.chain}: BROKEN at entry ${report.check.seq}: ${report.check.problem}`;
}

/** Every chain, streamed; with a checkpoint file, each chain must still hold the entry it recorded. */
async function verifyAudit(log: AuditLog, key: AuditKey, checkpointFile: string | undefined, only?: (chain: string) => boolean): Promise<number> {
  let checkpoints: Checkpoint[] = [];
  if (checkpointFile !== undefined) {
    const parsed = parseCheckpoints(key, readCheckpointFile(checkpointFile));
    if (!parsed.ok) {
      out(`audit log NOT VERIFIED: ${parsed.problem}`);
      return 1;
    }
    checkpoints = parsed.checkpoints;
  }
  const anchored = new Map(checkpoints.map((c) => [c.chain, c]));
  let chains = 0;
  let entries = 0;
  const broken: ChainReport[] = [];
  for await (const report of log.checkAll({ checkpoints, ...(only ? { only } : {}) })) {
    chains++;
    const line = brokenLine(report);
    if (line) {
      broken.push(report);
      out(line);
      continue;
    }
    entries += report.check.entries;
    const checkpoint = anchored.get(report.chain);
    out(`chain ${report.chain}: intact, ${report.check.entries} entries${checkpoint ? ` (holds the checkpoint at entry ${checkpoint.seq})` : ''}`);
  }
  if (broken.length === 0) {
    out(chains === 0 ? 'audit log is empty: no chain has an entry yet' : `audit log intact: ${chains} ${chains === 1 ? 'chain' : 'chains'}, ${entries} entries`);
    return 0;
  }
  // Every chain failing on its very first MAC is what a wrong key looks like.
  if (broken.length === chains && broken.every((r) => !r.check.ok && r.check.seq === 1 && /MAC/.test(r.check.problem))) {
    out(`No chain verifies with this ${AUDIT_KEY_VARIABLE}: it is not the key this Shipgate writes with (or every chain was rewritten).`);
  }
  out(`audit log BROKEN: ${broken.length} of ${chains} chains failed verification`);
  return 1;
}

/** Every chain as JSON Lines, in chain-name order; checkpoints only for a log that verifies. */
async function exportAudit(log: AuditLog, key: AuditKey, checkpointFile: string | undefined, only?: (chain: string) => boolean, output?: string): Promise<number> {
  let fd = 1;
  if (output !== undefined) {
    try {
      fd = openSync(output, 'w');
    } catch (error) {
      throw new StartupError(`Cannot write the export to ${output} (${(error as Error).message}).`);
    }
  }
  let buffer = '';
  const flush = () => {
    if (buffer) writeSync(fd, buffer);
    buffer = '';
  };
  const checkpoints: Checkpoint[] = [];
  const problems: string[] = [];
  const takenAt = new Date().toISOString();
  const write = (raw: string) => {
    buffer += `${raw}\n`;
    if (buffer.length > 65_536) flush();
  };
  for await (const report of log.checkAll({ onEntry: write, ...(only ? { only } : {}) })) {
    const line = brokenLine(report);
    if (line) problems.push(line);
    else if (report.tip) checkpoints.push(signCheckpoint(key, { chain: report.chain, seq: report.tip.seq, mac: report.tip.mac, at: takenAt }));
  }
  flush();
  if (fd !== 1) closeSync(fd);
  for (const problem of problems) writeSync(2, `shipgate: ${problem}\n`);
  if (problems.length > 0) {
    if (checkpointFile !== undefined) writeSync(2, `shipgate: no checkpoint written: a checkpoint must only vouch for chains that verify.\n`);
    return 1;
  }
  if (checkpointFile !== undefined) writeFileSync(checkpointFile, formatCheckpoints(checkpoints));
  return 0;
}

function readCheckpointFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new StartupError(`Cannot read the checkpoint file ${path} (${(error as Error).message}); pass the file written by "shipgate audit export --checkpoint FILE".`);
  }
}

function calendar(environment: string | undefined, at: string | undefined, json: boolean): number {
  const settings = settingsOrExit();
  const loaded = configOrExit(settings);
  if (!environment || !(environment in loaded.config.environments)) {
    throw new StartupError(`Usage: shipgate calendar ENV [--at ISO-8601] [--json]; ENV is one of ${Object.keys(loaded.config.environments).join(', ')}.`);
  }
  const instant = at === undefined ? Date.now() : Date.parse(at);
  if (Number.isNaN(instant) || (at !== undefined && !/(Z|[+-]\d{2}:?\d{2})$/.test(at))) {
    throw new StartupError(`--at takes an ISO 8601 instant with an offset, such as 2026-12-18T09:00:00+01:00 (got "${at}").`);
  }
  const calendars = new CalendarSource(loaded.config, settings.calendarsPath);
  const report = calendarReport(calendars, environment, instant);
  const zone = calendars.calendarFor(environment)?.zone ?? new Zone('UTC');
  const result = calendarJson(report, (i) => zone.isoOf(i));
  if (json) {
    out(JSON.stringify(result));
    return 0;
  }
  out(`${environment} at ${result.at}: ${result.open ? 'OPEN' : 'CLOSED'}: ${result.reason}${result.rule ? ` [${result.rule}]` : ''}`);
  if (result.next_close) out(`closes ${result.next_close}`);
  if (result.next_open) out(`opens ${result.next_open}`);
  for (const f of report.freezes) out(`freeze ${f.name}: ${zone.isoOf(f.start)} → ${zone.isoOf(f.end)}`);
  return 0;
}

async function report(names: string[], since: string, format: ReportFormat): Promise<number> {
  const sinceMs = parsePeriod(since);
  if (sinceMs === null) throw new StartupError(`--since takes a period such as 7d, 2w or 48h, at most ${REPORT_MAX_DAYS}d (got "${since}").`);
  const settings = settingsOrExit();
  const loaded = configOrExit(settings);
  const policy = toPolicy(loaded.config, loaded.hash);
  const scope = reportScope(policy, names);
  if (!scope.ok) throw new StartupError(scope.reason.replace(/`/g, '"'));
  await requireRedis(settings);
  const redis = connectRedis(settings.redisUrl, 'http');
  try {
    const { config } = loaded;
    const pairs = [...policy.apps.keys()].flatMap((app) => [...policy.environments.keys()].map((env) => [app, env] as const));
    const now = Date.now();
    const source = { redis, keys: keysFor(config.queue.prefix), pairs, failureWindowMs: config.metrics.failure_window, resolveWithinMs: config.slo.resolve_failed_within, now: () => now };
    const rows = reportRows(await readFigures(source, sinceMs), [...policy.environments.keys()], scope);
    out(formatReport(rows, format, { since, from: new Date(now - sinceMs).toISOString(), to: new Date(now).toISOString() }));
    return 0;
  } finally {
    redis.disconnect();
  }
}

/** .env in the working directory, when there is one; variables already set win. */
function dotEnvOrExit(): DotEnv | null {
  try {
    return loadDotEnv(process.cwd(), process.env);
  } catch (error) {
    throw new StartupError(`Cannot read .env in ${process.cwd()} (${(error as Error).message}); fix or remove it.`);
  }
}

function init(dir: string, force: boolean): number {
  const outcome = writeStarter(dir, force);
  if (!outcome.ok) {
    out(`Not written: ${outcome.existing.join(' and ')} already exist${outcome.existing.length === 1 ? 's' : ''}. Run "shipgate init --force" to overwrite, or choose another folder with --dir.`);
    return 1;
  }
  for (const file of outcome.written) out(`wrote ${file}`);
  out(nextSteps(dir));
  return 0;
}

async function doctor(dotenv: DotEnv | null): Promise<number> {
  const findings: Finding[] = [];
  await runDoctor(process.env, dotenv, (finding) => {
    findings.push(finding);
    out(formatFinding(finding));
  });
  const failed = findings.filter((f) => f.status === 'FAIL').length;
  const warned = findings.filter((f) => f.status === 'WARN').length;
  if (failed === 0) out(`doctor: ${findings.length} checks, no FAIL${warned > 0 ? `, ${warned} WARN` : ''}: ready for "shipgate start".`);
  else out(`doctor: ${failed} FAIL${warned > 0 ? `, ${warned} WARN` : ''}: do what each FAIL line says, then run "shipgate doctor" again.`);
  return failed > 0 ? 1 : 0;
}

export async function main(argv: string[]): Promise<number | 'running'> {
  const line = readCommandLine(argv);
  if (line.kind === 'print') {
    out(line.text);
    return line.code;
  }
  if (line.kind === 'version') {
    out(packageVersion());
    return 0;
  }
  const { command, positionals, values } = line;
  const [sub] = positionals;
  if (command === 'init') return init(typeof values.dir === 'string' ? values.dir : '.', values.force === true);
  const dotenv = dotEnvOrExit();
  switch (command) {
    case 'start':
      if (startsPlaygroundInstead(process.env, existsSync('shipgate.yml'))) await playground('no-slack');
      else await run(['worker', 'serve']);
      return 'running';
    case 'playground':
      await playground('asked');
      return 'running';
    case 'serve':
      await run(['serve']);
      return 'running';
    case 'worker':
      await run(['worker']);
      return 'running';
    case 'doctor':
      return doctor(dotenv);
    case 'check-config': {
      const settings = sub === undefined ? settingsOrExit() : settingsOrExit({ SHIPGATE_CONFIG: sub });
      const result = checkConfig({ file: settings.configPath, calendarsDir: settings.calendarsPath, env: process.env, noEnv: values['no-env'] === true });
      out(result.text);
      return result.code;
    }
    case 'audit':
      return audit(sub, typeof values.checkpoint === 'string' ? values.checkpoint : undefined, typeof values.type === 'string' ? values.type : undefined, typeof values.output === 'string' ? values.output : undefined);
    case 'calendar':
      return calendar(sub, typeof values.at === 'string' ? values.at : undefined, values.json === true);
    case 'report': {
      if (values.json === true && values.csv === true) throw new StartupError('Choose one of --json and --csv.');
      return report(positionals, typeof values.since === 'string' ? values.since : '30d', values.json === true ? 'json' : values.csv === true ? 'csv' : 'text');
    }
    default:
      throw new StartupError(`"${command}" is listed as a command but has no implementation.`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 'running') process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof StartupError) {
      writeSync(2, `shipgate: ${(error as Error).message}\n`);
      process.exit(2);
    }
    writeSync(2, `shipgate: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
