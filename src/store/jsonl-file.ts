import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Appends LINES to a JSON Lines file and fsyncs it (and, for a new file, its folder)
 * before returning: once this resolves, the lines survive a crash, so the copy in Redis
 * may go.
 */
export async function appendDurably(path: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  const isNew = !existsSync(path);
  const file = await open(path, 'a');
  try {
    await file.writeFile(lines.map((l) => `${l}\n`).join(''));
    await file.sync();
  } finally {
    await file.close();
  }
  if (isNew) {
    const dir = await open(folder, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

/**
 * A process killed in the middle of an append leaves a last line without its newline:
 * cut it off, so the next append starts on a line of its own (its entries are still in
 * Redis and are written again).
 */
export async function dropPartialLine(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const size = (await stat(path)).size;
  if (size === 0) return;
  const file = await open(path, 'r');
  try {
    const { buffer } = await file.read({ buffer: Buffer.alloc(1), position: size - 1 });
    if (buffer[0] === 0x0a) return;
    // Scan back for the last newline; lines are short, so read in modest chunks.
    let end = size;
    for (;;) {
      const start = Math.max(0, end - 64 * 1024);
      const chunk = Buffer.alloc(end - start);
      await file.read({ buffer: chunk, position: start });
      const at = chunk.lastIndexOf(0x0a);
      if (at >= 0) return void (await truncate(path, start + at + 1));
      if (start === 0) return void (await truncate(path, 0));
      end = start;
    }
  } finally {
    await file.close();
  }
}

/** The lines of a JSON Lines file in order, streamed; none when it does not exist. */
export async function* readLines(path: string): AsyncGenerator<string> {
  if (!existsSync(path)) return;
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) if (line !== '') yield line;
}

/** The `.jsonl` files of a folder, by name (periods sort in time order); none when it does not exist. */
export async function jsonlFiles(folder: string): Promise<string[]> {
  if (!existsSync(folder)) return [];
  return (await readdir(folder)).filter((f) => f.endsWith('.jsonl')).sort();
}
