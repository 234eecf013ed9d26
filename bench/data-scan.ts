/**
 * Data-scan throughput in MB/s, next to a plain `line.split` over the same text in the
 * same run, for a realistic JSON Lines sample and for lines built to make backtracking
 * regular expressions slow. The ratio is what to watch: it stays bounded for every input.
 *
 *   npx tsx bench/data-scan.ts            (BENCH_MB=5 by default)
 */
import { PII_KINDS, PiiCounter } from '../src/gates/data-scan-gate.js';

const BYTES = Number(process.env.BENCH_MB ?? 5) * 1024 * 1024;
const fill = (unit: string) => unit.repeat(Math.ceil(BYTES / unit.length)).slice(0, BYTES);

function realistic(): string[] {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < BYTES; i++) {
    const line = JSON.stringify({ id: i, user: { name: `user ${i}`, email: i % 50 === 0 ? `user${i}@example.com` : 'redacted' }, note: `order ${100000 + i} shipped to warehouse ${i % 7}, call +49 30 9018${String(i % 100).padStart(2, '0')} if late`, amount: i * 3.5 });
    lines.push(line);
    size += line.length + 1;
  }
  return lines;
}

/** Distinct phone-shaped numbers: the costliest input, since each one is parsed. */
function phoneFlood(): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < BYTES; i++) {
    const part = `+4930${String(1000000 + i)} `;
    parts.push(part);
    size += part.length;
  }
  return parts.join('');
}

const inputs: Record<string, string[]> = {
  'realistic JSON Lines': realistic(),
  'letters, no @ (quadratic for the old e-mail regex)': [JSON.stringify({ x: fill('a') })],
  'a@ repeated, no spaces': [JSON.stringify({ x: fill('a@') })],
  'digits with single spaces': [JSON.stringify({ x: fill('1 ') })],
  'IBAN openings': [JSON.stringify({ x: fill('DE89 ') })],
  // Linear too, but each number is parsed by libphonenumber-js: the slowest input per byte.
  'distinct phone numbers': [JSON.stringify({ x: phoneFlood() })],
};

let sink = 0;

function seconds(run: () => void): number {
  const start = performance.now();
  run();
  return (performance.now() - start) / 1000;
}

console.log(`data-scan over ${(BYTES / 1024 / 1024).toFixed(0)} MB per input; baseline: line.split(/\\s+/) on the same lines`);
for (const [name, lines] of Object.entries(inputs)) {
  const mb = lines.reduce((n, l) => n + l.length, 0) / 1024 / 1024;
  const baseline = seconds(() => {
    for (const line of lines) sink += line.split(/\s+/).length;
  });
  const counter = new PiiCounter(PII_KINDS);
  const scan = seconds(() => {
    for (const line of lines) counter.line(line);
  });
  console.log(`${name.padEnd(52)} scan ${(mb / scan).toFixed(1).padStart(7)} MB/s · split ${(mb / baseline).toFixed(1).padStart(7)} MB/s · scan takes ${(scan / baseline).toFixed(1).padStart(6)}× the split`);
}
if (sink < 0) console.log(sink); // keeps the baseline's work from being optimised away
