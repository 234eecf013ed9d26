#!/usr/bin/env node
import { writeSync } from 'node:fs';
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
import { AuditLog } from './store/audit-log.js';
import { keysFor } from './store/keys.js';

const USAGE = `Usage: shipgate <command>

  start                 Slack receiver and workers in one process
  serve                 Slack receiver, alert webhooks, /healthz, /readyz, /metrics
  worker                deployments and Slack message rendering
  check-config          validate shipgate.yml (SHIPGATE_CONFIG)
  calendar ENV [--at ISO-8601] [--json]
                        is ENV open at that instant (now by default), why, and when that changes
  audit verify          recompute the audit hash chain; exits 1 on any break
  audit export          write the audit log as JSON Lines to standard output
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
  const config = configOrExit(settings);
  const verdict = await requireRedis(settings);
  const log = createLogger(settings.logLevel);
  warnAboutRedis(log, settings, verdict);
  const options = { config, metrics: createMetrics(), calendarsDir: settings.calendarsPath, redisUrl: settings.redisUrl, slack: { ...settings.slack, botToken: settings.slack.botToken! }, log };
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

async function audit(action: string | undefined): Promise<number> {
  const settings = settingsOrExit();
  const config = configOrExit(settings);
  await requireRedis(settings);
  const redis = connectRedis(settings.redisUrl, 'http');
  try {
    const log = new AuditLog(redis, keysFor(config.config.queue.prefix));
    if (action === 'verify') {
      const check = await log.verify();
      if (check.ok) {
        out(`audit log intact: ${check.entries} entries`);
        return 0;
      }
      out(`audit log BROKEN at entry ${check.seq}: ${check.problem}`);
      return 1;
    }
    if (action === 'export') {
      for await (const line of log.entries()) out(line);
      return 0;
    }
    throw new StartupError('Usage: shipgate audit verify | shipgate audit export');
  } finally {
    redis.disconnect();
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
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { at: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const [command, sub] = positionals;
  switch (command) {
    case 'start':
      await run(['worker', 'serve']);
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
      return audit(sub);
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
