import { describe, expect, it } from 'vitest';
import {
  ACTIVITY_DAYS,
  addFetches,
  addReportSessions,
  fetchTotal,
  parseActivity,
  reportTotals,
} from '../../src/mta-sts/domain/domain-activity';

describe("A domain's activity record", () => {
  it('adds sessions per day, failures by type, and sums a period', () => {
    let activity = addReportSessions({}, [
      { day: '2026-11-20', result: 'success', sessions: 100 },
      { day: '2026-11-20', result: 'certificate-expired', sessions: 2 },
    ]);
    activity = addReportSessions(activity, [
      { day: '2026-11-20', result: 'success', sessions: 50 },
      { day: '2026-11-25', result: 'certificate-expired', sessions: 1 },
      { day: '2026-11-25', result: 'starttls-not-supported', sessions: 4 },
    ]);
    expect(activity['2026-11-20']).toEqual({ ok: 150, failed: 2, types: { 'certificate-expired': 2 } });
    expect(reportTotals(activity, '2026-11-01')).toEqual({
      successful: 150,
      failed: 7,
      types: { 'certificate-expired': 3, 'starttls-not-supported': 4 },
      days: 2,
    });
    expect(reportTotals(activity, '2026-11-21')).toMatchObject({ successful: 0, failed: 5, days: 1 });
  });

  it('keeps only the last month, counted from its newest day', () => {
    let fetches = addFetches({}, [{ day: '2026-10-01', fetches: 9 }]);
    fetches = addFetches(fetches, [
      { day: '2026-11-26', fetches: 2 },
      { day: '2026-11-26', fetches: 3 },
    ]);
    expect(fetches).toEqual({ '2026-11-26': 5 });
    expect(ACTIVITY_DAYS).toBe(31);
    expect(fetchTotal(addFetches(fetches, [{ day: '2026-10-27', fetches: 1 }]), '2026-10-01')).toBe(6);
  });

  it('reads a damaged record as empty rather than failing the overview', () => {
    expect(parseActivity('not json')).toEqual({});
    expect(parseActivity('[1,2]')).toEqual({});
    expect(parseActivity(null)).toEqual({});
  });
});
