import bytes from 'bytes';
import { z } from 'zod';

/** A byte size: a positive number, or text such as `10MB` (read by `bytes`). */
export const size = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  const parsed = typeof value === 'number' ? value : bytes.parse(value);
  if (parsed === null || !Number.isFinite(parsed) || parsed <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as 10MB, got "${String(value)}"` });
    return z.NEVER;
  }
  return parsed;
});
