import { describe, expect, it } from 'vitest';
import { decideReminder, reminderEffects } from '../../src/domain/reminders.js';
import type { Decision } from '../../src/domain/decision.js';
import { approvals, environment, NOW, promotion } from './fixtures.js';

const quorums = [
  { group: 'S0QA', required: 1, name: 'QA' },
  { group: 'S0REL', required: 1, name: 'Release' },
];
const production = environment('production', {
  approvals: approvals({ required: 2, approvers: ['S0QA', 'S0REL'], quorums, remindAfterMs: 60_000, escalateAfterMs: 120_000, escalateTo: 'U0BOSS' }),
});
const noteOf = (d: Decision) => (d.kind === 'accept' ? d.effects.find((e) => e.type === 'note') : undefined);

describe('reminders', () => {
  it('plans a reminder and an escalation from the start of the wait', () => {
    expect(reminderEffects(promotion({ requestedAt: NOW }), production)).toEqual([
      { type: 'remind', stage: 'remind', at: NOW + 60_000 },
      { type: 'remind', stage: 'escalate', at: NOW + 120_000 },
    ]);
  });

  it('pings only the groups whose quorum is still open, then the escalation target', () => {
    const p = promotion({ requestedAt: NOW, approvals: [{ user: 'UQUINN', at: NOW, as: ['S0QA'] }] });
    const reminder = decideReminder(p, { stage: 'remind', at: NOW + 60_000 }, production, NOW + 60_000);
    expect(noteOf(reminder)).toMatchObject({ text: expect.stringContaining('<!subteam^S0REL>') });
    expect(noteOf(reminder)).toMatchObject({ text: expect.not.stringContaining('S0QA') });
    expect(noteOf(reminder)).toMatchObject({ text: expect.stringContaining('QA 1/1 ✓ · Release 0/1') });
    const escalation = decideReminder(p, { stage: 'escalate', at: NOW + 120_000 }, production, NOW + 120_000);
    expect(noteOf(escalation)).toMatchObject({ text: expect.stringContaining('Escalating to <@U0BOSS>') });
  });

  it('sends each ping once, and nothing for a promotion that moved on or an earlier wait', () => {
    const p = promotion({ requestedAt: NOW });
    const due = { stage: 'remind' as const, at: NOW + 60_000 };
    const sent = decideReminder(p, due, production, due.at);
    expect(sent.kind).toBe('accept');
    expect(decideReminder(sent.kind === 'accept' ? sent.next : p, due, production, due.at + 1).kind).toBe('unchanged');
    for (const state of ['rejected', 'cancelled', 'superseded', 'scheduled', 'deploying'] as const) expect(decideReminder(promotion({ requestedAt: NOW, state }), due, production, due.at).kind).toBe('unchanged');
    expect(decideReminder(promotion({ requestedAt: NOW, approvalWaitSince: NOW + 5000 }), due, production, due.at).kind).toBe('unchanged');
  });
});
