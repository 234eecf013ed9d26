#!/usr/bin/env node
import { existsSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { ConfigError } from './config/config-error.js';
import { loadConfig, type LoadedConfig } from './config/load-config.js';
import { CalendarSource } from './config/load-calendars.js';
import { Zone } from './domain/calendar/zone.js';
import { calendarJson, calendarReport } from './service/calendar-report.js';
import { missingSlackSettings, readSettings, type Settings } from './config/settings.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { connectRedis, probeRedis } from './queue/redis-connection.js';
import type { RedisVerdict } from './queue/redis-health.js';
import { startServe, startWorker, type Running } from './runtime.js';
import { AuditLog, type ChainReport } from './store/audit-log.js';
import { formatCheckpoints, parseCheckpoints, signCheckpoint, type Checkpoint } from './store/audit-checkpoint.js';
import { AuditKey, AUDIT_KEY_VARIABLE } from './store/audit-key.js';
import { keysFor } from './store/keys.js';
import { startsPlaygroundInstead } from './playground/playground-mode.js';
import { runPlayground } from './playground/run-playground.js';

const USAGE = `Usage: shipgate <command>

  start                 Slack receiver and workers in one process (with no Slack variables
                        and no shipgate.yml here, the playground instead)
  playground            the real Shipgate behind a local page that stands in for Slack
  serve                 Slack receiver, alert webhooks, /healthz, /readyz, /metrics
  worker                deployments and Slack message rendering
  check-config          validate shipgate.yml (SHIPGATE_CONFIG)
  calendar ENV [--at ISO-8601] [--json]
                        is ENV open at that instant (now by default), why, and when that changes
  audit verify [--checkpoint FILE]
                        recompute every audit chain's MACs (needs SHIPGATE_AUDIT_KEY); exits 1 on
                        any break, or when a chain no longer holds the entry a checkpoint recorded
  audit export [--checkpoint FILE]
                        write every chain as JSON Lines to standard output; with --checkpoint, also
                        write each chain's last entry, signed, to FILE for safekeeping outside Redis
`;

/** An error that ends the process with one message a person can act on. */
class StartupError extends Error {}

function out(text: string) {
  writeSync(1, text.endsWith('\n') ? text : `${text}\n`);
}

function settingsOrExit(): Settings {
  const read = readSettings(process.env);
  if (!read.ok) throw new StartupError(`The environment is not usable:\n  ${read.problems.join('\n  ')}`);
  return read.settings;
}

/** shipgate.yml and every calendar it implies, or one message listing what is wrong. */
function configOrExit(settings: Settings): LoadedConfig {
  try {
    const loaded = loadConfig(settings.configPath, process.env);
    new CalendarSource(loaded.config, settings.calendarsPath).checkAll();
    return loaded;
  } catch (error) {
    if (error instanceof ConfigError) throw new StartupError(`The configuration is not valid:\n  ${error.message.split('\n').join('\n  ')}`);
    throw error;
  }
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
  if (roles.includes('worker')) running.push(await startWorker(options));
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

async function audit(action: string | undefined, checkpointFile: string | undefined): Promise<number> {
  if (action !== 'verify' && action !== 'export') throw new StartupError('Usage: shipgate audit verify [--checkpoint FILE] | shipgate audit export [--checkpoint FILE]');
  const settings = settingsOrExit();
  const key = auditKeyOrExit();
  const config = configOrExit(settings);
  await requireRedis(settings);
  const redis = connectRedis(settings.redisUrl, 'http');
  try {
    const log = new AuditLog(redis, keysFor(config.config.queue.prefix), key);
    return action === 'verify' ? await verifyAudit(log, key, checkpointFile) : await exportAudit(log, key, checkpointFile);
  } finally {
    redis.disconnect();
  }
}

function brokenLine(report: ChainReport): string | null {
  return report.check.ok ? null : `chain ${report.chain}: BROKEN at entry ${report.check.seq}: ${report.check.problem}`;
}

/** Every chain, streamed; with a checkpoint file, each chain must still hold the entry it recorded. */
async function verifyAudit(log: AuditLog, key: AuditKey, checkpointFile: string | undefined): Promise<number> {
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
  for await (const report of log.checkAll({ checkpoints })) {
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
async function exportAudit(log: AuditLog, key: AuditKey, checkpointFile: string | undefined): Promise<number> {
  let buffer = '';
  const flush = () => {
    if (buffer) writeSync(1, buffer);
    buffer = '';
  };
  const checkpoints: Checkpoint[] = [];
  const problems: string[] = [];
  const takenAt = new Date().toISOString();
  const write = (raw: string) => {
    buffer += `${raw}\n`;
    if (buffer.length > 65_536) flush();
  };
  for await (const report of log.checkAll({ onEntry: write })) {
    const line = brokenLine(report);
    if (line) problems.push(line);
    else if (report.tip) checkpoints.push(signCheckpoint(key, { chain: report.chain, seq: report.tip.seq, mac: report.tip.mac, at: takenAt }));
  }
  flush();
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

export async function main(argv: string[]): Promise<number | 'running'> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { at: { type: 'string' }, json: { type: 'boolean', default: false }, checkpoint: { type: 'string' } } });
  const [command, sub] = positionals;
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
    case 'check-config': {
      const settings = settingsOrExit();
      const loaded = configOrExit(settings);
      out(`${loaded.file}: valid (${Object.keys(loaded.config.apps).length} apps, ${Object.keys(loaded.config.environments).length} environments)`);
      return 0;
    }
    case 'audit':
      return audit(sub, values.checkpoint);
    case 'calendar':
      return calendar(sub, values.at, values.json ?? false);
    case undefined:
    case 'help':
    case '--help':
      out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new StartupError(`Unknown command "${command}".\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 'running') process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof StartupError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      writeSync(2, `shipgate: ${(error as Error).message}\n`);
      process.exit(2);
    }
    writeSync(2, `shipgate: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
