import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPO = resolve(import.meta.dirname, '../..');

/** tsx's loader by absolute URL, so the child can run from any working directory. */
const TSX = pathToFileURL(createRequire(join(REPO, 'package.json')).resolve('tsx')).href;

export interface SpawnOptions {
  /**
   * Working directory of the child; by default a fresh empty folder, so a `.env` or a
   * `shipgate.yml` a developer keeps in the repository never reaches the tests.
   */
  cwd?: string;
}

/** Runs the real `shipgate` command line from source in a child process. */
export function spawnShipgate(args: string[], env: Record<string, string>, options: SpawnOptions = {}): ChildProcess & { output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', TSX, join(REPO, 'src/cli.ts'), ...args], {
    cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'shipgate-cwd-')),
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return Object.assign(child, { output: () => output, exited });
}

export function writeTempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'shipgate-')), name);
  writeFileSync(path, text);
  return path;
}
