import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { withoutUserinfo } from '../domain/redact.js';
import { ConfigError, type ConfigProblem } from './config-error.js';

type PathKey = string | number;

/**
 * A URL is also kept as written, beside its expanded value, under this key: `${NAME}`
 * left as is and `user:password@` removed. That is the URL people see (evidence links,
 * the audit log), so a secret read from the environment never reaches them.
 */
export const URL_AS_WRITTEN = 'url_as_written';

/** How a `${NAME}` whose variable is not set is treated. */
export interface VariableOptions {
  /**
   * 'error' (the default): it is a problem. 'accept': it is taken as present, and the value
   * it stands in is not validated (`check-config --no-env`, where secrets are not at hand).
   */
  unsetVariables?: 'error' | 'accept';
}

/**
 * Parses YAML text, substitutes `${NAME}` from `env`, and validates it with `schema`; errors carry
 * file, line and path. Every problem is reported at once: unset variables together with the schema's.
 */
export function parseYamlWith<S extends z.ZodType>(schema: S, text: string, file: string, env: Readonly<Record<string, string | undefined>>, options: VariableOptions = {}): z.output<S> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number) => lines.linePos(offset).line;
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({ file, line: lineOf(e.pos[0]), path: '', message: e.message.split('\n')[0] ?? e.message })));
  }
  const asWritten: unknown = doc.toJS();
  const { unset, unresolved } = substituteVariables(doc, env);
  const problems: ConfigProblem[] =
    options.unsetVariables === 'accept' ? [] : unset.map(({ node, message }) => ({ file, line: node.range ? lineOf(node.range[0]) : null, path: '', message }));

  const parsed = schema.safeParse(keepUrlsAsWritten(doc.toJS() ?? {}, asWritten));
  if (parsed.success && problems.length === 0) return parsed.data;
  if (!parsed.success) {
    problems.push(
      ...parsed.error.issues
        .flatMap(closestBranch)
        .flatMap(withoutAddedKeys)
        // A value read from a variable that is not set cannot be judged; the unset variable is its problem.
        .filter((issue) => !unresolved.has(doc.getIn(issue.path as PathKey[], true) as Node))
        .map((issue) => ({ file, line: lineFor(doc, issue.path as PathKey[], lineOf), path: issue.path.map(String).join('.'), message: describeIssue(issue) })),
    );
  }
  // Only values read from unset variables failed, and those are accepted as present: the file as
  // written stands in for the output (without defaults where a value could not be validated).
  if (problems.length === 0) return (parsed.success ? parsed.data : keepUrlsAsWritten(doc.toJS(), asWritten)) as z.output<S>;
  throw new ConfigError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The names of the `${NAME}` variables TEXT reads, in order of first use (text that is not YAML reads none). */
export function referencedVariables(text: string): string[] {
  const names = new Set<string>();
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return [];
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string') for (const match of node.value.matchAll(VARIABLE)) names.add(match[1]!);
    },
  });
  return [...names];
}

/**
 * Replaces `${NAME}` in every string scalar. A variable that is not set never becomes an empty
 * string: it is a problem, and its scalar keeps its text and is marked unresolved.
 */
function substituteVariables(doc: Document, env: Readonly<Record<string, string | undefined>>): { unset: { node: Node; message: string }[]; unresolved: Set<Node> } {
  const unset: { node: Node; message: string }[] = [];
  const unresolved = new Set<Node>();
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      const original = node.value;
      const replaced = original.replace(VARIABLE, (_match, variable: string) => {
        const value = env[variable];
        if (value === undefined || value === '') {
          unset.push({ node, message: `environment variable ${variable} is not set (the configuration reads it with \${${variable}})` });
          unresolved.add(node);
          return '';
        }
        return value;
      });
      node.value = unresolved.has(node) ? original : replaced;
    },
  });
  return { unset, unresolved };
}

/** Every mapping with a string `url` gets `url_as_written` beside it, from the same place in the text as written. */
function keepUrlsAsWritten(value: unknown, written: unknown): unknown {
  if (Array.isArray(value)) {
    const same = Array.isArray(written) ? written : [];
    return value.map((v, i) => keepUrlsAsWritten(v, same[i]));
  }
  if (value === null || typeof value !== 'object') return value;
  const source = written !== null && typeof written === 'object' ? (written as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = keepUrlsAsWritten(v, source[key]);
  if (typeof out.url === 'string' && typeof source.url === 'string') out[URL_AS_WRITTEN] = withoutUserinfo(source.url);
  return out;
}

/** `url_as_written` is Shipgate's own key: a mapping that refuses it refuses its `url` too, and says so. */
function withoutAddedKeys(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'unrecognized_keys' || !issue.keys.includes(URL_AS_WRITTEN) || !issue.keys.includes('url')) return [issue];
  return [{ ...issue, keys: issue.keys.filter((k) => k !== URL_AS_WRITTEN) }];
}

/** The line of the deepest node that exists along `path` (a missing key points at its parent). */
function lineFor(doc: Document, path: PathKey[], lineOf: (offset: number) => number): number | null {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (node && (isMap(node) || isSeq(node) || isScalar(node)) && node.range) return lineOf(node.range[0]);
  }
  return null;
}

/**
 * A union (a dated or a cron freeze, say) fails as a whole; the branch with the fewest
 * problems is the one the author meant, so its own problems are reported, at full paths.
 */
function closestBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
  if (best.length === 0) return [issue];
  return best.flatMap((inner) => closestBranch({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue));
}

const ARTICLE_TYPES: Record<string, string> = { number: 'a number', string: 'a string', boolean: 'true or false', object: 'a mapping', array: 'a list', int: 'a whole number' };

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${ARTICLE_TYPES[issue.expected] ?? issue.expected}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_union':
      return 'expected one of the documented shapes (check `type`)';
    case 'too_small':
      return issue.origin === 'number' ? `expected a number of at least ${String(issue.minimum)}` : issue.message;
    case 'too_big':
      return issue.origin === 'number' ? `expected a number of at most ${String(issue.maximum)}` : issue.message;
    default:
      return issue.message;
  }
}
