export type Status = 'OK' | 'WARN' | 'FAIL';

/** One line of `shipgate doctor`: what was checked and, unless OK, what to do about it. */
export interface Finding {
  status: Status;
  text: string;
}

export const ok = (text: string): Finding => ({ status: 'OK', text });
export const warn = (text: string): Finding => ({ status: 'WARN', text });
export const fail = (text: string): Finding => ({ status: 'FAIL', text });

export function formatFinding(f: Finding): string {
  return `${f.status.padEnd(4)} ${f.text}`;
}
