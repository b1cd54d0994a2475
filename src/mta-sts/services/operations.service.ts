import { Inject, Injectable } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ScheduledJobs } from '../jobs/scheduled-jobs';
import { Clock } from '../ports/clock.port';
import { WebServer } from '../ports/web-server.port';
import { NotificationsService } from './notifications.service';
import { ReportIntake } from './report-intake';
import { ClusterNode } from './cluster/cluster-node';

export interface HealthPart {
  readonly ok: boolean;
  readonly problem?: string;
}

/** A node of a cluster: whether it follows the database, and whether it leads. */
export interface ClusterHealth extends HealthPart {
  readonly node: string;
  readonly leader: boolean;
  /** Whether nginx keeps serving what this node has on disk (also while the database is away). */
  readonly serving: boolean;
  /** The last full comparison of this node's files with the database: when, and how long it took. */
  readonly reconciledAt?: string;
  readonly reconcileMs?: number;
}

export interface HealthReport {
  readonly ok: boolean;
  readonly database: HealthPart;
  readonly nginx: HealthPart;
  readonly scheduler: HealthPart;
  /** Only on a node of a cluster. */
  readonly cluster?: ClusterHealth;
}

/** A health probe never waits for a database that does not answer longer than this. */
const DATABASE_CHECK_TIMEOUT_MS = 2_000;

/** How long one `nginx -t` answers health checks: probes come every few seconds. */
const NGINX_CHECK_CACHE_MS = 30_000;

/**
 * What an operator's monitoring asks: is the panel healthy (database, nginx's
 * configuration, the scheduler), and the figures worth a graph or an alert, in
 * Prometheus's format. The figures are read from the database when scraped.
 */
@Injectable()
export class OperationsService {
  private nginxChecked: { at: number; problem: string | undefined } | undefined;
  readonly registry = new Registry();

  constructor(
    private readonly database: DataSource,
    @Inject(WebServer) private readonly web: WebServer,
    @Inject(Clock) private readonly clock: Clock,
    private readonly jobs: ScheduledJobs,
    private readonly notifications: NotificationsService,
    private readonly intake: ReportIntake,
    private readonly node: ClusterNode,
  ) {
    this.defineMetrics();
  }

  async health(): Promise<HealthReport> {
    const [database, nginx] = await Promise.all([this.databaseHealth(), this.nginxHealth()]);
    const problem = this.jobs.schedulerProblem();
    const scheduler = problem ? { ok: false, problem } : { ok: true };
    const cluster = this.clusterHealth(nginx);
    const ok = database.ok && nginx.ok && scheduler.ok && (cluster?.ok ?? true);
    return { ok, database, nginx, scheduler, ...(cluster ? { cluster } : {}) };
  }

  private async databaseHealth(): Promise<HealthPart> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${DATABASE_CHECK_TIMEOUT_MS} ms`)),
        DATABASE_CHECK_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([this.database.query('SELECT 1'), late]);
      return { ok: true };
    } catch (error) {
      return { ok: false, problem: `the database does not answer: ${(error as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
  }

  private clusterHealth(nginx: HealthPart): ClusterHealth | undefined {
    const status = this.node.status();
    if (!status) return undefined;
    const base = {
      node: status.node,
      leader: status.leader,
      serving: nginx.ok,
      reconciledAt: status.reconciledAt?.toISOString(),
      reconcileMs: status.reconcileMs,
    };
    if (!status.connected) {
      const since = status.lostSince ? ` since ${status.lostSince.toISOString()}` : '';
      return {
        ...base,
        ok: false,
        problem: `${status.node} has no session with the database${since} (${status.lostReason ?? 'unknown'}); nginx keeps serving the policies and certificates on disk, changes made meanwhile arrive once it is back.`,
      };
    }
    if (status.reconcileProblem) return { ...base, ok: false, problem: status.reconcileProblem };
    return { ...base, ok: true };
  }

  private async nginxHealth(): Promise<HealthPart> {
    const now = this.clock.now().getTime();
    if (!this.nginxChecked || now - this.nginxChecked.at > NGINX_CHECK_CACHE_MS) {
      const problem = await this.web
        .configurationProblem()
        .catch((error: Error) => `nginx -t could not run: ${error.message}`);
      this.nginxChecked = { at: now, problem };
    }
    const { problem } = this.nginxChecked;
    return problem ? { ok: false, problem } : { ok: true };
  }

  private defineMetrics(): void {
    const rows = <T>(sql: string) => this.database.query(sql) as Promise<T[]>;
    const registers = [this.registry];
    new Gauge({
      name: 'mta_sts_domains',
      help: 'Managed domains by badge and lifecycle state.',
      labelNames: ['badge', 'state'],
      registers,
      collect: async function (this: Gauge) {
        this.reset();
        for (const row of await rows<{ badge: string; state: string; n: number }>(
          'SELECT "badge", "state", COUNT(*) AS "n" FROM "mta_sts_domains" GROUP BY "badge", "state"',
        )) {
          this.set({ badge: row.badge, state: row.state }, Number(row.n));
        }
      },
    });
    new Gauge({
      name: 'mta_sts_checks_failing',
      help: 'Domains whose latest result of a readiness check is a failure, by check.',
      labelNames: ['check'],
      registers,
      collect: async function (this: Gauge) {
        this.reset();
        for (const row of await rows<{ check: string; n: number }>(
          `SELECT "check", COUNT(*) AS "n" FROM "mta_sts_checks" WHERE "status" = 'fail' GROUP BY "check"`,
        )) {
          this.set({ check: row.check }, Number(row.n));
        }
      },
    });
    const clock = this.clock;
    new Gauge({
      name: 'mta_sts_certificate_expiry_days',
      help: 'Days until the earliest certificate of a serving domain expires.',
      registers,
      collect: async function (this: Gauge) {
        this.reset();
        const [row] = await rows<{ first: string | Date | null }>(
          `SELECT MIN("certNotAfter") AS "first" FROM "mta_sts_domains" WHERE "state" IN ('active', 'changing', 'retiring') AND "certNotAfter" IS NOT NULL`,
        );
        if (row?.first) this.set((new Date(row.first).getTime() - clock.now().getTime()) / 86_400_000);
      },
    });
    new Gauge({
      name: 'mta_sts_renewals_failing',
      help: 'Serving domains whose certificate renewal failed at its last attempt.',
      registers,
      collect: async function (this: Gauge) {
        const [row] = await rows<{ n: number }>(
          `SELECT COUNT(*) AS "n" FROM "mta_sts_domains" WHERE "renewFailures" > 0 AND "state" IN ('active', 'changing', 'retiring')`,
        );
        this.set(Number(row?.n ?? 0));
      },
    });
    const jobs = this.jobs;
    for (const sweep of ['checks', 'renewals'] as const) {
      new Gauge({
        name: `mta_sts_${sweep}_sweep_seconds`,
        help: `How long the last ${sweep} sweep took.`,
        registers,
        collect: function (this: Gauge) {
          const last = jobs.lastRuns.get(sweep);
          if (last) this.set(last.seconds);
        },
      });
      new Gauge({
        name: `mta_sts_${sweep}_sweep_last_success_timestamp_seconds`,
        help: `When the last ${sweep} sweep with no failed domain finished (Unix time).`,
        registers,
        collect: function (this: Gauge) {
          const last = jobs.lastRuns.get(sweep);
          if (last && last.failed === 0) this.set(last.finishedAt.getTime() / 1000);
        },
      });
    }
    const intake = this.intake;
    new Gauge({
      name: 'mta_sts_tls_reports_received',
      help: 'TLS reports taken in since the panel started, by outcome (ignored: for no domain served here).',
      labelNames: ['outcome'],
      registers,
      collect: function (this: Gauge) {
        for (const [outcome, count] of Object.entries(intake.counts)) this.set({ outcome }, count);
      },
    });
    const notifications = this.notifications;
    new Gauge({
      name: 'mta_sts_notification_failures',
      help: 'Notices that could not be delivered since the panel started.',
      registers,
      collect: function (this: Gauge) {
        this.set(notifications.failures);
      },
    });
  }
}
