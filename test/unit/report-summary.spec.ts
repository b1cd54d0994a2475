import { describe, expect, it } from 'vitest';
import {
  fetchChart,
  promotionEvidence,
  readyToPromote,
  reportsBlockPromotion,
  summarizeReports,
  windowStart,
} from '../../src/mta-sts/domain/report-summary';
import { RESULT_TYPES } from '../../src/mta-sts/domain/tls-report';
import { reportWords } from '../../src/mta-sts/domain/wording';

const TODAY = new Date('2026-11-26T15:00:00Z');
const row = (day: string, result: string, sessions: number, mxHost = 'mx1.example.com') => ({
  day,
  result,
  mxHost,
  sessions,
});

describe('Summing up TLS reports', () => {
  it('counts a window of N days from today back, today included', () => {
    expect(windowStart(TODAY, 1)).toBe('2026-11-26');
    expect(windowStart(TODAY, 7)).toBe('2026-11-20');
    expect(windowStart(TODAY, 90)).toBe('2026-08-29');
  });

  it('gives the 7/30/90-day totals and failure rates, and the days with reports', () => {
    const summary = summarizeReports(
      [
        row('2026-11-25', 'success', 900),
        row('2026-11-25', 'certificate-expired', 100),
        row('2026-11-01', 'success', 50),
        row('2026-09-01', 'success', 50),
        row('2026-08-01', 'success', 1_000), // older than 90 days
      ],
      TODAY,
    );
    expect(summary.windows).toEqual([
      { days: 7, successful: 900, failed: 100, failureRate: 0.1 },
      { days: 30, successful: 950, failed: 100, failureRate: 100 / 1050 },
      { days: 90, successful: 1000, failed: 100, failureRate: 100 / 1100 },
    ]);
    expect(summary).toMatchObject({ reportDays: 3, firstDay: '2026-09-01', lastDay: '2026-11-25' });
    expect(summarizeReports([], TODAY).windows[0].failureRate).toBeNull();
  });

  it('groups failures by result type and MX host, most first', () => {
    const summary = summarizeReports(
      [
        row('2026-11-20', 'starttls-not-supported', 3, 'mx2.example.com'),
        row('2026-11-21', 'certificate-expired', 5, 'mx1.example.com'),
        row('2026-11-22', 'certificate-expired', 2, 'mx2.example.com'),
        row('2026-11-24', 'certificate-expired', 1, 'mx1.example.com'),
      ],
      TODAY,
    );
    expect(summary.failures).toEqual([
      {
        result: 'certificate-expired',
        sessions: 8,
        lastDay: '2026-11-24',
        mxHosts: [
          { mxHost: 'mx1.example.com', sessions: 6 },
          { mxHost: 'mx2.example.com', sessions: 2 },
        ],
      },
      {
        result: 'starttls-not-supported',
        sessions: 3,
        lastDay: '2026-11-20',
        mxHosts: [{ mxHost: 'mx2.example.com', sessions: 3 }],
      },
    ]);
  });

  it('says what to do for every result type of RFC 8460, and for an unknown one', () => {
    for (const result of RESULT_TYPES) expect(reportWords.remedy(result)).not.toMatch(/does not define/);
    expect(reportWords.remedy('made-up')).toContain('"made-up", which RFC 8460 does not define');
  });
});

describe('What Promote weighs', () => {
  it('counts the last 14 days of reports and blocks on any failed session', () => {
    const evidence = promotionEvidence(
      [row('2026-11-10', 'certificate-expired', 9), row('2026-11-13', 'success', 10), row('2026-11-20', 'success', 5)],
      { fetches: 4, fetchers: 2 },
      TODAY,
    );
    // 2026-11-10 is 17 days back: outside the window.
    expect(evidence).toEqual({
      reportDays: 2,
      failedSessions: 0,
      failureTypes: [],
      successfulSessions: 15,
      fetches: { fetches: 4, fetchers: 2 },
    });
    expect(reportsBlockPromotion(evidence)).toBe(false);
    const failing = promotionEvidence([row('2026-11-25', 'sts-policy-fetch-error', 1)], null, TODAY);
    expect(failing).toMatchObject({ failedSessions: 1, failureTypes: ['sts-policy-fetch-error'], fetches: null });
    expect(reportsBlockPromotion(failing)).toBe(true);
  });

  it('calls a testing domain ready with clean reports on 7 of 14 days and fetches, where fetches are logged', () => {
    const ready = { mode: 'testing', state: 'active', failed: 0, reportDays: 7, fetches: 1 };
    expect(readyToPromote(ready)).toBe(true);
    expect(readyToPromote({ ...ready, fetches: null })).toBe(true);
    expect(readyToPromote({ ...ready, fetches: 0 })).toBe(false);
    expect(readyToPromote({ ...ready, reportDays: 6 })).toBe(false);
    expect(readyToPromote({ ...ready, failed: 1 })).toBe(false);
    expect(readyToPromote({ ...ready, mode: 'enforce' })).toBe(false);
    expect(readyToPromote({ ...ready, state: 'changing' })).toBe(false);
  });
});

describe('The fetch chart', () => {
  it('has a bar per day of the last 7, days without fetches at zero, scaled to the busiest day', () => {
    const chart = fetchChart(
      [
        { day: '2026-11-26', fetches: 10, fetchers: 3 },
        { day: '2026-11-22', fetches: 5, fetchers: 1 },
      ],
      TODAY,
    );
    expect(chart.bars.map((bar) => [bar.day, bar.fetches])).toEqual([
      ['2026-11-20', 0],
      ['2026-11-21', 0],
      ['2026-11-22', 5],
      ['2026-11-23', 0],
      ['2026-11-24', 0],
      ['2026-11-25', 0],
      ['2026-11-26', 10],
    ]);
    expect(chart.total).toBe(15);
    const [empty, , half, , , , full] = chart.bars;
    expect(empty.height).toBe(0);
    expect(full.height).toBe(2 * half.height);
    expect(full.y + full.height).toBe(empty.y + empty.height);
    expect(chart.bars.every((bar) => bar.x + chart.barWidth <= chart.width)).toBe(true);
  });
});
