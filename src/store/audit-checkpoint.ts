import canonicalize from 'canonicalize';
import { z } from 'zod';
import type { AuditKey } from './audit-key.js';

/**
 * What one chain held when the checkpoint was taken: its last entry's seq and MAC,
 * signed with the audit key. An auditor keeps these outside Redis; a chain that no
 * longer contains that (seq, mac) was truncated or rewritten since.
 */
export interface Checkpoint {
  chain: string;
  seq: number;
  mac: string;
  /** When the checkpoint was taken. */
  at: string;
  sig: string;
}

const checkpointSchema = z.object({ chain: z.string().min(1), seq: z.number().int().positive(), mac: z.string().regex(/^[0-9a-f]{64}$/), at: z.string(), sig: z.string() }).strict();

/** A distinct shape from any audit entry, so a checkpoint signature can never pass for an entry MAC. */
function signed(key: AuditKey, c: Omit<Checkpoint, 'sig'>): string {
  return key.mac(canonicalize({ kind: 'shipgate-audit-checkpoint', chain: c.chain, seq: c.seq, mac: c.mac, at: c.at }) ?? '');
}

export function signCheckpoint(key: AuditKey, c: Omit<Checkpoint, 'sig'>): Checkpoint {
  return { chain: c.chain, seq: c.seq, mac: c.mac, at: c.at, sig: signed(key, c) };
}

/** One checkpoint per line (JSON Lines). */
export function formatCheckpoints(checkpoints: readonly Checkpoint[]): string {
  return checkpoints.map((c) => `${JSON.stringify(c)}\n`).join('');
}

/** Reads a checkpoint file and checks every signature; the problem is a sentence naming the line. */
export function parseCheckpoints(key: AuditKey, text: string): { ok: true; checkpoints: Checkpoint[] } | { ok: false; problem: string } {
  const checkpoints: Checkpoint[] = [];
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return { ok: false, problem: `line ${i + 1} of the checkpoint file is not JSON; pass the file written by "shipgate audit export --checkpoint".` };
    }
    const c = checkpointSchema.safeParse(parsed);
    if (!c.success) return { ok: false, problem: `line ${i + 1} of the checkpoint file is not a checkpoint (${c.error.issues[0]?.path.join('.') ?? ''}: ${c.error.issues[0]?.message ?? ''}).` };
    if (signed(key, c.data) !== c.data.sig) {
      return { ok: false, problem: `the checkpoint of chain ${c.data.chain} (line ${i + 1}) is not signed with this SHIPGATE_AUDIT_KEY: either the key is not the one the checkpoint was taken with, or the file was edited.` };
    }
    if (checkpoints.some((other) => other.chain === c.data.chain)) return { ok: false, problem: `the checkpoint file names chain ${c.data.chain} twice (line ${i + 1}).` };
    checkpoints.push(c.data);
  }
  return { ok: true, checkpoints };
}
