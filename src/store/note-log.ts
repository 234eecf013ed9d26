import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { withScripts } from './lua-scripts.js';

/** One line for a promotion's thread, as its commit appended it. */
export interface NoteEntry {
  text: string;
  rollbackTo?: string;
}

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
    // Only forward: a slow worker never winds the cursor back.
    await withScripts(this.redis).shipgateAdvancePosted(this.keys.notesPosted(id), position);
  }

  /** Appends a note that no promotion commit produced (an alert's), once per KEY; its 1-based position. */
  async appendOnce(id: string, key: string, entry: NoteEntry): Promise<number> {
    // It also moves the promotion's rev on: a commit in flight numbered its own notes after the old length, and must read again.
    return Number(await withScripts(this.redis).shipgateAppendNoteOnce(this.keys.notes(id), this.keys.alertNoted(key), this.keys.promotion(id), JSON.stringify(entry)));
  }
}

/** The stored form of a note, shared with the commit that appends it. */
export function noteEntry(text: string, rollbackTo?: string): string {
  return JSON.stringify(rollbackTo === undefined ? { text } : { text, rollbackTo });
}
