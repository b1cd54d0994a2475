import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type * as Built from '../../src/index';

/**
 * The module as `npm run bench` builds it in dist/ (tsc emits the decorator metadata Nest's
 * injection needs; running the sources through tsx would not). Typed by the sources.
 */
async function built(): Promise<typeof Built> {
  return (await import(join(__dirname, '..', '..', 'dist', 'index.js'))) as typeof Built;
}
import { percentile, pool, timed } from './measure';
import {
  FetchActivityDays,
  ReportActivity,
  addFetches,
  addReportSessions,
  parseActivity,
} from '../../src/mta-sts/domain/domain-activity';

export interface ReportsResult {
  readonly reports: number;
  /** Reports stored per second by the panel's intake (decode, read, store). */
  readonly intakePerSecond: number;
  /** The same bodies only gunzipped and `JSON.parse`d. */
  readonly baselinePerSecond: number;
  readonly domains: number;
  readonly days: number;
  readonly dailyRows: number;
  readonly fetchRows: number;
  readonly cardP50Ms: number;
  readonly cardP95Ms: number;
  readonly overviewP50Ms: number;
  readonly overviewP95Ms: number;
  /** The job after midnight: the overview's sums of every domain brought to the new day. */
  readonly refreshSeconds: number;
}

const NEVER = '0 0 0 1 1 *';
/** Reports taken in at the same time. */
const INTAKE_CONCURRENCY = 16;
const DAY_MS = 86_400_000;
const REPORTERS = ['Google Inc.', 'Microsoft Corporation', 'Yahoo', 'comcast.net', 'Mail.Ru'];
const FAILURES = [
  'certificate-expired',
  'starttls-not-supported',
  'certificate-host-mismatch',
  'sts-policy-fetch-error',
];

const domainName = (index: number) => `d${String(index).padStart(6, '0')}.bench.example`;

/** A report as the big senders write them: several policies, failures now and then, Microsoft's zone-less times. */
function realisticReport(index: number, domains: number, day: string): Buffer {
  const reporter = REPORTERS[index % REPORTERS.length];
  const microsoft = reporter.startsWith('Microsoft');
  const policies = Array.from({ length: 1 + (index % 3) }, (_, p) => {
    const domain = domainName((index * 7 + p * 13) % domains);
    const failing = (index + p) % 20 === 0;
    return {
      policy: {
        'policy-type': 'sts',
        'policy-string': ['version: STSv1', 'mode: testing', `mx: mx1.${domain}`, 'max_age: 604800'],
        'policy-domain': domain,
        'mx-host': microsoft ? `mx1.${domain}` : [`mx1.${domain}`],
      },
      summary: { 'total-successful-session-count': 10 + (index % 500), 'total-failure-session-count': failing ? 3 : 0 },
      ...(failing
        ? {
            'failure-details': [
              {
                'result-type': FAILURES[index % FAILURES.length],
                'sending-mta-ip': `209.85.${index % 250}.${p + 1}`,
                'receiving-mx-hostname': `mx1.${domain}`,
                'receiving-ip': '203.0.113.25',
                'failed-session-count': 3,
                'additional-information': 'https://support.google.com/a/answer/9261504',
              },
            ],
          }
        : {}),
    };
  });
  return gzipSync(
    JSON.stringify({
      'organization-name': reporter,
      'date-range': {
        'start-datetime': microsoft ? `${day}T00:00:00` : `${day}T00:00:00Z`,
        'end-datetime': microsoft ? `${day}T23:59:59` : `${day}T23:59:59Z`,
      },
      'contact-info': 'smtp-tls-reporting@sender.example',
      'report-id': `${reporter.replace(/\W/g, '')}-${index}`,
      policies,
    }),
  );
}

async function bulkInsert(
  data: DataSource,
  table: string,
  columns: string[],
  rows: unknown[][],
  onConflict = '',
): Promise<void> {
  const per = Math.floor(30_000 / columns.length);
  await data.transaction(async (manager) => {
    for (let start = 0; start < rows.length; start += per) {
      const chunk = rows.slice(start, start + per);
      const marks = chunk.map(() => `(${columns.map(() => '?').join(',')})`).join(',');
      const sql = `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(',')}) VALUES ${marks} ${onConflict}`;
      await manager.query(sql, chunk.flat());
    }
  });
}

/** Writes the history's activity rows, merging the days the intake wrote already. */
async function mergeActivity(data: DataSource, rows: unknown[][]): Promise<void> {
  const existing = new Map<string, { reports: string; fetches: string }>(
    (await data.query('SELECT domain, reportLog AS reports, fetchLog AS fetches FROM mta_sts_domain_activity')).map(
      (row: { domain: string; reports: string; fetches: string }) => [row.domain, row],
    ),
  );
  await data.query('DELETE FROM mta_sts_domain_activity');
  const merged = rows.map(([domain, reports, fetches]) => {
    const before = existing.get(domain as string);
    // The intake's days added the way the panel adds a report: per day and result.
    const intake = Object.entries(parseActivity<ReportActivity>(before?.reports)).flatMap(([day, sums]) => [
      { day, result: 'success', sessions: sums.ok },
      ...Object.entries(sums.types).map(([result, sessions]) => ({ day, result, sessions })),
    ]);
    const reported = addReportSessions(parseActivity<ReportActivity>(reports as string), intake);
    return [domain, JSON.stringify(reported), fetches];
  });
  await bulkInsert(data, 'mta_sts_domain_activity', ['domain', 'reportLog', 'fetchLog'], merged);
}

/**
 * TLS report intake against gunzip + JSON.parse of the same bodies, then the Reports
 * section's data and the overview across domains at `domains` domains with `days` days of
 * reports and fetches, through the real module on SQLite in this process.
 */
export async function runReportsBenchmark(
  options: { reports: number; domains: number; days: number; samples: number },
  log: (line: string) => void,
): Promise<ReportsResult> {
  const { MtaStsModule, MTA_STS_ENTITIES, MTA_STS_MIGRATIONS, ReportIntake, ReportsView } = await built();
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-bench-reports-'));
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'sqlite',
        database: join(dir, 'mta-sts.sqlite'),
        entities: MTA_STS_ENTITIES,
        migrations: MTA_STS_MIGRATIONS,
        migrationsRun: true,
        synchronize: false,
        // As the standalone panel has it (src/app.module.ts): WAL, and synchronous=NORMAL below.
        enableWAL: true,
      }),
      ScheduleModule.forRoot(),
      MtaStsModule.forRoot({
        dataDir: dir,
        serverIpv4: '192.0.2.10',
        checks: { cron: NEVER },
        renewals: { cron: NEVER },
        reports: { fetchLog: join(dir, 'logs', 'fetches.log') },
        pages: { resolveRole: () => 'admin' },
        apiToken: 'bench-api-token-0123456789',
      }),
    ],
  })
  class BenchModule {}
  let app: INestApplication | undefined;
  try {
    app = await NestFactory.create(BenchModule, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const data = app.get(DataSource);
    await data.query('PRAGMA synchronous = NORMAL');
    const { domains, days } = options;
    log(`[reports] ${domains} domains`);
    await bulkInsert(
      data,
      'mta_sts_domains',
      ['name', 'unicodeName', 'state', 'badge', 'mode', 'maxAge', 'mx'],
      Array.from({ length: domains }, (_, index) => [
        domainName(index),
        domainName(index),
        'active',
        'active',
        index % 3 === 0 ? 'enforce' : 'testing',
        604_800,
        JSON.stringify([`mx1.${domainName(index)}`]),
      ]),
    );

    const today = new Date();
    const dayOf = (back: number) => new Date(today.getTime() - back * DAY_MS).toISOString().slice(0, 10);
    const bodies = Array.from({ length: options.reports }, (_, index) =>
      realisticReport(index, domains, dayOf(1 + (index % 7))),
    );
    log(`[reports] baseline: gunzip and JSON.parse ${bodies.length} reports`);
    const baseline = await timed(async () => {
      let policies = 0;
      for (const body of bodies)
        policies += (JSON.parse(gunzipSync(body).toString('utf8')) as { policies: unknown[] }).policies.length;
      return policies;
    });
    log(`[reports] the panel's intake: ${bodies.length} reports`);
    const intake = app.get(ReportIntake);
    // Senders post at the same time: 16 at once, as many reporters' deliveries overlap.
    const panel = await timed(async () => {
      let stored = 0;
      await pool(bodies, INTAKE_CONCURRENCY, async (body) => {
        if ((await intake.receive(body, 'application/tlsrpt+gzip', 'https')).outcome === 'stored') stored++;
      });
      return stored;
    });
    if (panel.value !== bodies.length) throw new Error(`only ${panel.value} of ${bodies.length} reports were stored`);

    log(`[reports] ${days} days of daily counts and fetches for ${domains} domains`);
    // Two reporters a day for every domain (other reporters than the intake's), failures now
    // and then, and two fetchers on three days of four.
    const daily: unknown[][] = [];
    const activity: unknown[][] = [];
    const fetches: unknown[][] = [];
    for (let index = 0; index < domains; index++) {
      const name = domainName(index);
      let reported: ReportActivity = {};
      let fetched: FetchActivityDays = {};
      for (let back = 1; back < days; back++) {
        const day = dayOf(back);
        let successful = 0;
        for (const reporter of ['Historic Reporter A', 'Historic Reporter B']) {
          const sessions = 100 + ((index + back) % 50);
          successful += sessions;
          daily.push([name, day, reporter, 'sts', 'success', `mx1.${name}`, sessions]);
          if ((index + back) % 25 === 0) {
            daily.push([name, day, reporter, 'sts', FAILURES[back % 4], `mx1.${name}`, 2]);
            reported = addReportSessions(reported, [{ day, result: FAILURES[back % 4], sessions: 2 }]);
          }
        }
        reported = addReportSessions(reported, [{ day, result: 'success', sessions: successful }]);
        if ((index + back) % 4 !== 0) {
          fetches.push([name, day, `209.85.${index % 250}.${back % 250}`, 1 + (back % 3), 0]);
          fetches.push([name, day, `40.107.${index % 250}.${back % 250}`, 1, 0]);
          fetched = addFetches(fetched, [{ day, fetches: 2 + (back % 3) }]);
        }
      }
      activity.push([name, JSON.stringify(reported), JSON.stringify(fetched)]);
    }
    const columns = ['domain', 'day', 'organization', 'policyType', 'result', 'mxHost', 'sessions'];
    await bulkInsert(data, 'mta_sts_tls_daily', columns, daily);
    // The intake made activity rows for the domains its reports named: the history merges into them.
    await mergeActivity(data, activity);
    // What the job after midnight does for every domain: sum the overview's periods anew.
    const refresh = await timed(() => app!.get(ReportsView).refreshOverview());
    await bulkInsert(data, 'mta_sts_policy_fetches', ['domain', 'day', 'address', 'fetches', 'failures'], fetches);
    // No ANALYZE: the panel never runs it, so the query planner works without statistics here too.

    const get = async (path: string) => {
      const response = await fetch(`${url}${path}`, {
        headers: { Authorization: 'Bearer bench-api-token-0123456789' },
      });
      if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
      await response.arrayBuffer();
    };
    log(`[reports] card Reports section and overview, ${options.samples} requests each`);
    const card: number[] = [];
    const overview: number[] = [];
    for (let sample = 0; sample < options.samples; sample++) {
      const domain = domainName((sample * 7919) % domains);
      card.push((await timed(() => get(`/mta-sts/domains/${domain}`))).ms);
      overview.push((await timed(() => get('/mta-sts/reports'))).ms);
    }
    return {
      reports: bodies.length,
      intakePerSecond: bodies.length / (panel.ms / 1000),
      baselinePerSecond: bodies.length / (baseline.ms / 1000),
      domains,
      days,
      dailyRows: daily.length,
      fetchRows: fetches.length,
      cardP50Ms: percentile(card, 50),
      cardP95Ms: percentile(card, 95),
      overviewP50Ms: percentile(overview, 50),
      refreshSeconds: refresh.ms / 1000,
      overviewP95Ms: percentile(overview, 95),
    };
  } finally {
    await app?.close();
    if (process.env.KEEP_BENCH_DB) console.error(`[reports] database kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

export function reportsTable(result: ReportsResult): string {
  const f = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1));
  return [
    '| figure | value |',
    '|---|---|',
    `| reports ingested (realistic, 1–3 policies each) | ${result.reports.toLocaleString('en-US')} |`,
    `| panel intake, ${INTAKE_CONCURRENCY} at a time (reports/s) | ${f(result.intakePerSecond)} |`,
    `| baseline: gunzip + JSON.parse only (reports/s) | ${f(result.baselinePerSecond)} |`,
    `| intake time / baseline time | ${(result.baselinePerSecond / result.intakePerSecond).toFixed(1)} |`,
    `| domains, days of data | ${result.domains.toLocaleString('en-US')}, ${result.days} |`,
    `| daily session rows, fetch rows | ${result.dailyRows.toLocaleString('en-US')}, ${result.fetchRows.toLocaleString('en-US')} |`,
    `| card with its Reports section p50 / p95 (ms) | ${f(result.cardP50Ms)} / ${f(result.cardP95Ms)} |`,
    `| overview across domains p50 / p95 (ms) | ${f(result.overviewP50Ms)} / ${f(result.overviewP95Ms)} |`,
    `| overview sums brought to a new day, every domain (s) | ${result.refreshSeconds.toFixed(1)} |`,
  ].join('\n');
}
