import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/domain/alerts.js';
import { deliveryFigures, type FigureRules } from '../../src/domain/delivery-figures.js';
import type { Promotion } from '../../src/domain/promotion.js';
import { NOW, promotion } from './fixtures.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const rules: FigureRules = { now: NOW, windowMs: 30 * DAY, failureWindowMs: DAY, resolveWithinMs: DAY };
const PAIRS = [['web', 'production']] as const;

function deployedAt(id: string, requestedAt: number, finishedAt: number, more: Partial<Promotion> = {}): Promotion {
  return promotion({ id, requestedAt, state: 'deployed', deployment: { startedAt: finishedAt, finishedAt, error: null }, ...more });
}

function alertOn(promotionId: string, startsAt: number): AlertRecord {
  return {
    key: `a-${promotionId}-${startsAt}`, source: 'generic', id: 'x', status: 'firing', title: 't', severity: 'critical', url: null, app: 'web', environment: 'production',
    startsAt, receivedAt: startsAt, resolvedAt: null, message: { channel: 'C0PROD', ts: null }, rollback: null,
    match: { promotionId, currentVersion: null, previousVersion: null, deployedAt: null },
  };
}

const figuresOf = (promotions: Promotion[], alerts: AlertRecord[] = [], active: Promotion[] = []) => deliveryFigures(PAIRS, { promotions, alerts, active }, rules).pairs[0]!;

describe('delivery figures', () => {
  it('counts a deployment blamed by an alert within the failure window as a change failure, and one after it as none', () => {
    const a = deployedAt('sg-1', NOW - 10 * DAY, NOW - 10 * DAY + HOUR);
    const b = deployedAt('sg-2', NOW - 5 * DAY, NOW - 5 * DAY + HOUR);
    const figures = figuresOf([a, b], [alertOn('sg-1', NOW - 10 * DAY + 2 * HOUR), alertOn('sg-2', NOW - 5 * DAY + HOUR + DAY + 1)]);
    expect({ changes: figures.changes, failed: figures.failedChanges }).toEqual({ changes: 2, failed: 1 });
    expect(figures.leadTimes).toEqual([3600, 3600]);
  });

  it('leaves out deployments that ended before the window, and counts emergencies apart', () => {
    const old = deployedAt('sg-1', NOW - 40 * DAY, NOW - 31 * DAY);
    const emergency = deployedAt('sg-2', NOW - 2 * HOUR, NOW - HOUR, { emergency: true });
    expect(figuresOf([old, emergency]).deployments).toEqual([{ kind: 'emergency', outcome: 'succeeded', count: 1 }]);
  });

  it('measures restore from the failed deployment when no alert blames it', () => {
    const failed = promotion({ id: 'sg-1', requestedAt: NOW - 3 * HOUR, state: 'failed', deployment: { startedAt: NOW - 2 * HOUR, finishedAt: NOW - 2 * HOUR, error: 'boom' } });
    const rollback = deployedAt('sg-2', NOW - HOUR, NOW - HOUR / 2, { kind: 'rollback', rollbackOf: 'sg-1' });
    const figures = figuresOf([failed, rollback]);
    expect(figures.restoreTimes).toEqual([5400]);
    expect(figures.failedPromotions).toEqual({ within_slo: 1, late: 0, open: 0 });
  });

  it('sorts failed promotions into within the SLO, late and open', () => {
    const blockedLate = promotion({ id: 'sg-1', requestedAt: NOW - 10 * DAY, state: 'cancelled', gates: { run: 1, results: { tests: { status: 'failed', summary: '', evidenceUrl: null, durationMs: 1, configHash: '' } } } });
    const fixLate = deployedAt('sg-2', NOW - 8 * DAY, NOW - 8 * DAY);
    const stillBlocked = promotion({ id: 'sg-3', requestedAt: NOW - DAY, state: 'blocked' });
    expect(figuresOf([blockedLate, fixLate, stillBlocked]).failedPromotions).toEqual({ within_slo: 0, late: 1, open: 1 });
  });

  it('counts promotions awaiting approval per environment, zero where none wait', () => {
    const waiting = promotion({ id: 'sg-9', requestedAt: NOW - 90 * DAY });
    const figures = deliveryFigures([['web', 'production'], ['web', 'staging']], { promotions: [], alerts: [], active: [waiting] }, rules);
    expect(Object.fromEntries(figures.approvalsPending)).toEqual({ production: 1, staging: 0 });
  });
});
