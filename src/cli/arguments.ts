import { parseArgs } from 'node:util';
import { commandHelp, commandNamed, usage } from './commands.js';
import { UsageError } from './startup-error.js';

export type CommandLine =
  | { kind: 'print'; text: string; code: number }
  | { kind: 'version' }
  | { kind: 'run'; command: string; positionals: string[]; values: Record<string, string | boolean | undefined> };

/**
 * Reads `shipgate [--help|--version] COMMAND [ARGS] [OPTIONS]`. Every command takes --help;
 * anything else it does not know is a UsageError naming the option and where to read about it.
 */
export function readCommandLine(argv: string[]): CommandLine {
  const [first, ...rest] = argv;
  if (first === undefined) return { kind: 'print', text: usage(), code: 2 };
  if (first === '--help' || first === '-h') return { kind: 'print', text: usage(), code: 0 };
  if (first === '--version' || first === '-v') return { kind: 'version' };
  if (first.startsWith('-')) throw new UsageError(`Unknown option "${first}". Run "shipgate --help" for the commands and their options.`);
  const spec = commandNamed(first);
  if (!spec) throw new UsageError(`Unknown command "${first}".\n\n${usage()}`);

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { ...spec.options, help: { type: 'boolean', short: 'h', default: false } } });
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS_')) throw error;
    const unknown = /'(-[^']*)'/.exec((error as Error).message)?.[1];
    const what = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown ? `Unknown option "${unknown}" for shipgate ${spec.name}.` : `${(error as Error).message.split('. ')[0]}.`;
    throw new UsageError(`${what} Run "shipgate ${spec.name} --help" for its options.`);
  }
  if (parsed.values.help) return { kind: 'print', text: commandHelp(spec), code: 0 };
  if (spec.name === 'help') {
    const topic = parsed.positionals[0];
    if (topic === undefined) return { kind: 'print', text: usage(), code: 0 };
    const about = commandNamed(topic);
    if (!about) throw new UsageError(`Unknown command "${topic}".\n\n${usage()}`);
    return { kind: 'print', text: commandHelp(about), code: 0 };
  }
  if (parsed.positionals.length > spec.positionals) {
    const extra = parsed.positionals.slice(spec.positionals).map((p) => `"${p}"`).join(', ');
    throw new UsageError(`shipgate ${spec.name} does not take ${extra}. Usage: shipgate ${spec.name} ${spec.synopsis}`.trimEnd() + `; run "shipgate ${spec.name} --help" for more.`);
  }
  const { help: _, ...values } = parsed.values as Record<string, string | boolean | undefined>;
  return { kind: 'run', command: spec.name, positionals: parsed.positionals, values };
}
