import ms from 'ms';
import { z } from 'zod';

/** A duration written as `90s`, `30m`, `4h` or `2d`, parsed by `ms` into milliseconds. */
export const duration = z.string().transform((text, ctx) => {
  const value = /^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/.test(text.trim()) ? ms(text.trim() as ms.StringValue) : undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 90s, 30m, 4h or 2d, got "${text}"` });
    return z.NEVER;
  }
  return value;
});
