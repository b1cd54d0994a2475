import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ResolvedMtaStsOptions } from '../../mta-sts.options';
import { MTA_STS_OPTIONS } from '../../mta-sts.tokens';
import { ClusterBus } from '../../ports/cluster-bus.port';
import { ClusterState } from '../../ports/cluster-state.port';
import { ChallengeAnswers } from '../challenge-files';
import { EnableRun } from '../enable-run';
import { HEARTBEAT_MS } from './cluster-timing';
import { Leadership } from './leadership';
import { NodeFiles } from './node-files';
import { SharedChallenges } from './shared-challenges';

/** One full comparison in this many reads the node's files back from disk. */
const DISK_PASS_EVERY = 60;

/** Change notices followed at the same time. */
const NOTICE_CONCURRENCY = 4;

/** What `/healthz` says about this node's place in the cluster. */
export interface NodeStatus {
  readonly node: string;
  /** This node's session with the database is connected (notices arrive, leadership possible). */
  readonly connected: boolean;
  readonly leader: boolean;
  /** Since when the session has been lost, when it is. */
  readonly lostSince?: Date;
  readonly lostReason?: string;
  /** The last full comparison with the database, and what failed in it. */
  readonly reconciledAt?: Date;
  /** How long that comparison took. */
  readonly reconcileMs?: number;
  readonly reconcileProblem?: string;
}

/**
 * One node of a cluster: keeps its database session (change notices, the leader lock),
 * says it is alive, and keeps its nginx files in line with the database at start-up, on
 * each notice, and every `reconcileSeconds`. A node that loses the database keeps serving
 * what is on its disk and says so on `/healthz`; once the session is back it compares
 * everything again, since notices sent meanwhile were missed.
 */
@Injectable()
export class ClusterNode implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MtaSts');
  private readonly startedAt = new Date();
  private timers: NodeJS.Timeout[] = [];
  private lostSince: Date | undefined = new Date();
  private lostReason: string | undefined = 'not connected yet';
  private reconciledAt: Date | undefined;
  private reconcileMs: number | undefined;
  private reconcileProblem: string | undefined;
  private reconciling: Promise<void> | undefined;
  private readonly waiting = new Set<string>();
  private working = 0;
  private passes = 0;
  /** The first comparison with the database has run: the node may count as live. */
  private caughtUp = false;

  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    private readonly leadership: Leadership,
    @Inject(ChallengeAnswers) private readonly challenges: ChallengeAnswers,
    private readonly enableRun: EnableRun,
    @Optional() @Inject(ClusterBus) private readonly bus?: ClusterBus | null,
    @Optional() @Inject(ClusterState) private readonly state?: ClusterState | null,
    @Optional() @Inject(NodeFiles) private readonly files?: NodeFiles | null,
  ) {}

  /** Undefined on a single node. */
  status(): NodeStatus | undefined {
    const cluster = this.options.cluster;
    if (!cluster || !this.bus) return undefined;
    return {
      node: cluster.node,
      connected: this.bus.connected,
      leader: this.leadership.leads(),
      lostSince: this.lostSince,
      lostReason: this.lostReason,
      reconciledAt: this.reconciledAt,
      reconcileMs: this.reconcileMs,
      reconcileProblem: this.reconcileProblem,
    };
  }

  onApplicationBootstrap(): void {
    const cluster = this.options.cluster;
    const bus = this.bus;
    if (!cluster || !bus) return;
    bus.open({
      notice: (payload) => this.queue(payload),
      connected: () => {
        if (this.lostSince) this.logger.log(`${cluster.node} is connected to the cluster's database.`);
        this.lostSince = undefined;
        this.lostReason = undefined;
        // A node counts as live (challenge answers wait for it, Enable fetches from it) only
        // once it has written every domain's files.
        void this.reconcile().then(() => this.heartbeat());
      },
      lost: (reason) => {
        this.leadership.lost();
        if (!this.lostSince) {
          this.lostSince = new Date();
          this.logger.error(
            `${cluster.node} lost its database session (${reason}); it keeps serving what is on disk and connects again.`,
          );
        }
        this.lostReason = reason;
      },
    });
    this.timers = [
      setInterval(() => void this.heartbeat(), Math.min(HEARTBEAT_MS, cluster.leaderPollMs)),
      setInterval(() => void this.reconcile(), cluster.reconcileMs),
    ];
    for (const timer of this.timers) timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.reconciling;
    await this.bus?.close();
  }

  /** Compares every domain and challenge answer with the database; one pass at a time. */
  reconcile(): Promise<void> {
    this.reconciling ??= this.reconcileOnce().finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    const { files, state } = this;
    if (!files || !state || !this.bus?.connected) return;
    try {
      await this.compare(this.options.cluster!.node, files, state);
    } finally {
      this.caughtUp = true;
    }
  }

  private async compare(node: string, files: NodeFiles, state: ClusterState): Promise<void> {
    try {
      const started = Date.now();
      // One pass in sixty (an hour at the default interval) reads the files back from disk (see NodeFiles.all).
      const report = await files.all({ fromDisk: this.passes++ % DISK_PASS_EVERY === 0 });
      if (this.challenges instanceof SharedChallenges) await this.challenges.syncAll();
      this.reconciledAt = new Date();
      this.reconcileMs = Date.now() - started;
      this.reconcileProblem = report.failed > 0 ? `${report.failed} domain(s) could not be brought in line` : undefined;
      await state.reconciled(node, this.reconcileProblem ?? null);
      if (report.changed > 0 || report.removed > 0 || report.failed > 0) {
        this.logger.log(
          `${node} compared ${report.domains} domain(s) with the database in ${Date.now() - started} ms: ${report.changed} changed, ${report.removed} removed, ${report.failed} failed.`,
        );
      }
    } catch (error) {
      this.reconcileProblem = `the comparison with the database failed: ${String(error)}`;
      this.logger.error(`${node}: ${this.reconcileProblem}`);
    }
  }

  private async heartbeat(): Promise<void> {
    const cluster = this.options.cluster;
    if (!cluster || !this.state || !this.bus?.connected || !this.caughtUp) return;
    const addresses = [this.options.serverIpv4, this.options.serverIpv6].filter((a): a is string => Boolean(a));
    try {
      await this.state.heartbeat(cluster.node, addresses, this.startedAt);
      await this.leadership.poll();
      // The leader finishes an Enable whose node stopped in the middle.
      if (this.leadership.leads()) await this.enableRun.resumeOrphans();
    } catch (error) {
      this.logger.warn(`${cluster.node} could not report to the cluster: ${String(error)}`);
    }
  }

  /**
   * Notices are followed a few at a time, and one that is already waiting is not queued
   * twice: a change to a thousand domains at once (a bulk import) arrives as a thousand
   * notices, and is worked through without a thousand queries at the same moment.
   */
  private queue(payload: string): void {
    if (this.waiting.has(payload)) return;
    this.waiting.add(payload);
    this.drain();
  }

  private drain(): void {
    while (this.working < NOTICE_CONCURRENCY && this.waiting.size > 0) {
      const [payload] = this.waiting;
      this.waiting.delete(payload);
      this.working++;
      void this.onNotice(payload).finally(() => {
        this.working--;
        this.drain();
      });
    }
  }

  private async onNotice(payload: string): Promise<void> {
    const at = payload.indexOf(':');
    const kind = payload.slice(0, at);
    const key = payload.slice(at + 1);
    try {
      if ((kind === 'domain' || kind === 'certificate') && this.files) await this.files.domain(key);
      else if (kind === 'challenge' && this.challenges instanceof SharedChallenges) await this.challenges.sync(key);
    } catch (error) {
      this.logger.error(`${this.options.cluster?.node} could not follow the change ${payload}: ${String(error)}`);
    }
  }
}
