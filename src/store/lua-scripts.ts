import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * The store's Lua scripts, kept as `.lua` files in `lua/` beside this module (the build
 * copies them next to the compiled one). Each is sent to Redis once per connection and
 * then called by its SHA (EVALSHA; ioredis loads it again if Redis restarted).
 */
const SCRIPTS = {
  shipgateCommit: { file: 'commit.lua', keys: undefined },
  shipgateAdvancePosted: { file: 'advance-posted.lua', keys: 1 },
  shipgateAppendNoteOnce: { file: 'append-note-once.lua', keys: 3 },
} as const;

type ScriptName = keyof typeof SCRIPTS;

export interface StoreScripts {
  /** KEYS count first, then the keys, then the plan as JSON; answers 'ok' or 'conflict'. */
  shipgateCommit(numberOfKeys: number, ...keysAndPlan: string[]): Promise<string>;
  shipgateAdvancePosted(postedKey: string, position: number): Promise<number>;
  shipgateAppendNoteOnce(notesKey: string, notedKey: string, promotionKey: string, entry: string): Promise<number>;
}

const sources = new Map<ScriptName, string>();

function source(name: ScriptName): string {
  let lua = sources.get(name);
  if (lua === undefined) {
    lua = readFileSync(new URL(`./lua/${SCRIPTS[name].file}`, import.meta.url), 'utf8');
    sources.set(name, lua);
  }
  return lua;
}

const defined = new WeakSet<Redis>();

/** The connection with the store's scripts defined on it (once per connection). */
export function withScripts(redis: Redis): Redis & StoreScripts {
  if (!defined.has(redis)) {
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      const keys = SCRIPTS[name].keys;
      redis.defineCommand(name, keys === undefined ? { lua: source(name) } : { lua: source(name), numberOfKeys: keys });
    }
    defined.add(redis);
  }
  return redis as Redis & StoreScripts;
}
