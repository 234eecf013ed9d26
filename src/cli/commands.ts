import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec {
  name: string;
  /** What follows the command name in its usage line. */
  synopsis: string;
  /** One line for the list of commands. */
  summary: string;
  /** The rest of `shipgate COMMAND --help`. */
  details: string;
  options: Options;
  /** How many positional arguments it takes at most. */
  positionals: number;
}

const CONFIG_ENV = `Reads SHIPGATE_CONFIG (default ./shipgate.yml) and SHIPGATE_CALENDARS (default: the
calendars folder beside the configuration file), and a .env file in the working directory.`;

const RUN_ENV = `Needs SLACK_BOT_TOKEN, SHIPGATE_AUDIT_KEY, a Redis at REDIS_URL and a valid shipgate.yml;
${CONFIG_ENV.replace('Reads', 'reads')}`;

export const COMMANDS: CommandSpec[] = [
  {
    name: 'init',
    synopsis: '[--dir DIR] [--force]',
    summary: 'write a starter shipgate.yml and calendars/production.yml',
    details: `Writes a commented shipgate.yml and calendars/production.yml into DIR (the working
directory by default), asking nothing. Existing files are left alone unless --force is given.

Options:
  --dir DIR     where to write the files (default: .)
  --force       overwrite files that already exist`,
    options: { dir: { type: 'string' }, force: { type: 'boolean', default: false } },
    positionals: 0,
  },
  {
    name: 'doctor',
    synopsis: '',
    summary: 'check the environment, configuration, Redis and Slack; list every problem',
    details: `Checks everything Shipgate needs and prints one line per check, OK, WARN or FAIL, with
what to do: the environment variables, shipgate.yml and the calendars, the secrets the
configuration reads, Redis (reachable, noeviction, persistence), the Slack token, its scopes
against manifest.yml, and the bot's membership of every configured channel. It never stops
at the first problem. Exits 1 when any check FAILs, else 0.

${CONFIG_ENV}`,
    options: {},
    positionals: 0,
  },
  {
    name: 'check-config',
    synopsis: '[FILE] [--no-env]',
    summary: 'validate shipgate.yml and the calendars; every error, with file and line',
    details: `Validates FILE (default: SHIPGATE_CONFIG, else ./shipgate.yml) and every calendar it
implies, and prints every problem of every file at once, each with file, line and path.
Needs neither Redis nor Slack: fit for a CI lint step. Exits 0 when valid, 1 when not.

Options:
  --no-env      validate without the secrets: every \${NAME} the file reads is taken as set
                (its value is not checked), and the variables it needs are listed

Calendars come from SHIPGATE_CALENDARS, else the calendars folder beside FILE.`,
    options: { 'no-env': { type: 'boolean', default: false } },
    positionals: 1,
  },
  {
    name: 'start',
    synopsis: '',
    summary: 'Slack receiver and workers in one process (npm start); with no Slack variables, the playground',
    details: `Runs "serve" and "worker" in one process: the Slack receiver on PORT (default 3000)
with /healthz, /readyz and /metrics, and the workers.

With no Slack variable set at all, no shipgate.yml in the working directory, no
SHIPGATE_CONFIG and NODE_ENV not "production", it starts the playground instead (see
"shipgate playground --help"). Otherwise missing Slack variables stop it with what to set.

${RUN_ENV}`,
    options: {},
    positionals: 0,
  },
  {
    name: 'playground',
    synopsis: '',
    summary: 'the real Shipgate behind a local page that stands in for a Slack channel',
    details: `Starts Shipgate with its own built-in configuration behind a page at
http://localhost:PORT/playground (127.0.0.1 only): type /promote as in Slack, act as
different people, run one-click scenarios. Nothing reaches Slack or a real deployment; it
uses its own Redis key prefix. Refused when NODE_ENV is "production".

Reads PORT (default 3000) and REDIS_URL (without a Redis there, it starts a local
redis-server on port 6390 when one is installed).`,
    options: {},
    positionals: 0,
  },
  {
    name: 'serve',
    synopsis: '',
    summary: 'Slack receiver, alert webhooks, /healthz, /readyz, /metrics on PORT',
    details: `Receives Slack's requests on PORT (default 3000) at /slack/events, or over Socket Mode
when SLACK_APP_TOKEN is set (no public URL needed). Also serves the alert webhooks,
/healthz, /readyz and /metrics. Run as many replicas as you like.

${RUN_ENV}
Also needs SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN for Socket Mode.`,
    options: {},
    positionals: 0,
  },
  {
    name: 'worker',
    synopsis: '',
    summary: 'gates, deployments and Slack message updates; /healthz, /readyz, /metrics on WORKER_PORT',
    details: `Runs the queued work: gates, deployments, window checks and Slack message updates.
Serves /healthz, /readyz and /metrics on WORKER_PORT (default 3001) for probes and
Prometheus. Run as many as you like.

${RUN_ENV}`,
    options: {},
    positionals: 0,
  },
  {
    name: 'calendar',
    synopsis: 'ENV [--at ISO-8601] [--json]',
    summary: 'is ENV open at that instant (now by default), why, and when that changes',
    details: `Prints the release calendar's decision for environment ENV.

Options:
  --at ISO      the instant to judge, with an offset, such as 2026-12-18T09:00:00+01:00
  --json        one JSON object instead of text

${CONFIG_ENV}`,
    options: { at: { type: 'string' }, json: { type: 'boolean', default: false } },
    positionals: 1,
  },
  {
    name: 'audit',
    synopsis: 'verify|export [--checkpoint FILE] [--type data-movement] [--output FILE]',
    summary: 'verify the audit chains, or export them as JSON Lines',
    details: `audit verify [--checkpoint FILE] [--type data-movement]
  recomputes every audit chain's MACs; exits 1 on any break, or when a chain no longer holds
  the entry a checkpoint recorded.
audit export [--checkpoint FILE] [--type data-movement] [--output FILE]
  writes every chain as JSON Lines to standard output (or to the --output FILE); with
  --checkpoint, also writes each chain's last entry, signed, to FILE for safekeeping
  outside Redis.

Options:
  --type data-movement   only the log of data movements (data refreshes): one chain per
                         dataset, with who asked, who approved, source, target, masking
                         profile and the masking scan's counts
  --output FILE          export: write the JSON Lines to FILE instead of standard output

Needs SHIPGATE_AUDIT_KEY and a Redis at REDIS_URL. ${CONFIG_ENV}`,
    options: { checkpoint: { type: 'string' }, type: { type: 'string' }, output: { type: 'string' } },
    positionals: 1,
  },
  {
    name: 'report',
    synopsis: '[APP] [ENV] [--since 30d] [--json|--csv]',
    summary: 'deployments, lead time, change failure rate and time to restore per environment',
    details: `Prints the delivery figures of the period, per environment: deployments (failed ones and
rollbacks among them), median lead time from request to deployed, change failure rate and
median time to restore; for one APP and one ENV when given (one name: whichever it is).
The same figures as /metrics, read from Redis (see "Metrics" in the README).

Options:
  --since P     the period, such as 7d, 2w or 48h (default 30d, at most 90d)
  --json        one JSON object: since, from, to and rows
  --csv         a header line and one line per environment

Needs a Redis at REDIS_URL. ${CONFIG_ENV}`,
    options: { since: { type: 'string' }, json: { type: 'boolean', default: false }, csv: { type: 'boolean', default: false } },
    positionals: 2,
  },
  {
    name: 'help',
    synopsis: '[COMMAND]',
    summary: 'this list, or the help of one command',
    details: 'Prints the list of commands, or with COMMAND the same as "shipgate COMMAND --help".',
    options: {},
    positionals: 1,
  },
];

export function commandNamed(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

function usageLine(spec: CommandSpec): string {
  return `shipgate ${spec.name}${spec.synopsis ? ` ${spec.synopsis}` : ''}`;
}

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `Usage: shipgate <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n')}

Run "shipgate <command> --help" for a command's options. "shipgate --version" prints the version.
New here? "shipgate init", then "shipgate doctor".
`;
}

export function commandHelp(spec: CommandSpec): string {
  return `Usage: ${usageLine(spec)}

${spec.summary.charAt(0).toUpperCase()}${spec.summary.slice(1)}.

${spec.details}
`;
}
