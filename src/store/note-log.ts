import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** One line for a promotion's thread, as its commit appended it. */
export interface NoteEntry {
  text: string;
  rollbackTo?: string;
}

/** Moves the posted cursor forward only: a slow worker never winds it back. */
const ADVANCE_LUA = `
local at = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > at then redis.call('SET', KEYS[1], ARGV[1]) end
return 0
`;

/**
 * Appends once per key: a second delivery of the same alert note returns the first
 * position. It also moves the promotion's rev on: a promotion commit in flight read the
 * list's length to number its own notes, and must now fail and read it again.
 */
const APPEND_ONCE_LUA = `
local known = redis.call('GET', KEYS[2])
if known then return tonumber(known) end
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], n)
if redis.call('HEXISTS', KEYS[3], 'rev') == 1 then redis.call('HINCRBY', KEYS[3], 'rev', 1) end
return n
`;

/**
 * The thread notes of each promotion, in the order of the commits that produced them
 * (`notes:<id>`), and how many of them are already in Slack (`notes-posted:<id>`).
 */
export class NoteLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async posted(id: string): Promise<number> {
    return Number((await this.redis.get(this.keys.notesPosted(id))) ?? 0);
  }

  async length(id: string): Promise<number> {
    return this.redis.llen(this.keys.notes(id));
  }

  /** The note at 1-based POSITION, or null past the end. */
  async at(id: string, position: number): Promise<NoteEntry | null> {
    const raw = await this.redis.lindex(this.keys.notes(id), position - 1);
    return raw === null ? null : (JSON.parse(raw) as NoteEntry);
  }

  async markPosted(id: string, position: number): Promise<void> {
    await this.redis.eval(ADVANCE_LUA, 1, this.keys.notesPosted(id), position);
  }

  /** Appends a note that no promotion commit produced (an alert's), once per KEY; its 1-based position. */
  async appendOnce(id: string, key: string, entry: NoteEntry): Promise<number> {
    return Number(await this.redis.eval(APPEND_ONCE_LUA, 3, this.keys.notes(id), this.keys.alertNoted(key), this.keys.promotion(id), JSON.stringify(entry)));
  }
}

/** The stored form of a note, shared with the commit that appends it. */
export function noteEntry(text: string, rollbackTo?: string): string {
  return JSON.stringify(rollbackTo === undefined ? { text } : { text, rollbackTo });
}
