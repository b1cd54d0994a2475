import { Inject, Injectable, Optional } from '@nestjs/common';
import { MTA_STS_RANDOM } from '../../mta-sts.tokens';
import { ClusterState } from '../../ports/cluster-state.port';
import { Leadership } from './leadership';

export type SweepJob = 'checks' | 'renewals';

/** How often a leader's sweep says how far it has come. */
const PROGRESS_EVERY_MS = 1_000;

/**
 * One run of a scheduled sweep on this node. In a cluster it records how far it has come
 * (every domain up to `doneThrough` is done; the domains are walked in id order), so a new
 * leader resumes after that point instead of checking every domain twice, and it stops
 * as soon as this node no longer leads or its progress is refused (fenced).
 */
export class SweepTurn {
  private readonly inFlight = new Set<number>();
  private highest: number;
  private savedAt = Date.now();
  private fenced = false;

  constructor(
    /** Domains with a higher id than this are swept. */
    readonly after: number,
    private readonly leadership: Leadership,
    private readonly record?: (doneThrough: number, finished: boolean) => Promise<boolean>,
  ) {
    this.highest = after;
  }

  /** False once the turn must stop: another node leads now. */
  get current(): boolean {
    return !this.fenced && this.leadership.leads();
  }

  /** Throws `FencedOut` when a scheduled turn's term has ended (nothing on a single node or a manual turn). */
  async assertCurrent(): Promise<void> {
    if (this.record) await this.leadership.assertCurrent();
  }

  /** The domain `id` is being worked on. */
  began(id: number): void {
    this.inFlight.add(id);
    this.highest = Math.max(this.highest, id);
  }

  /** The domain `id` is done; progress is saved now and then. */
  async ended(id: number): Promise<void> {
    this.inFlight.delete(id);
    if (!this.record || Date.now() - this.savedAt < PROGRESS_EVERY_MS) return;
    this.savedAt = Date.now();
    const doneThrough = this.inFlight.size === 0 ? this.highest : Math.min(...this.inFlight) - 1;
    // A failed write of progress only means a resumed sweep repeats a little more.
    const accepted = await this.record(doneThrough, false).catch(() => true);
    if (!accepted) this.fenced = true;
  }

  /** The sweep walked every domain (not when it stopped early). */
  async finished(): Promise<void> {
    if (this.record && this.current) await this.record(this.highest, true);
  }
}

/**
 * When scheduled sweeps run and on which node: after a random delay (so many servers do
 * not reach the CA or DNS at the same second), on the leader only when several nodes
 * share the work, and from where the previous leader's sweep stopped.
 */
@Injectable()
export class SweepTurns {
  constructor(
    @Inject(MTA_STS_RANDOM) readonly random: () => number,
    private readonly leadership: Leadership,
    @Optional() @Inject(ClusterState) private readonly state?: ClusterState | null,
  ) {}

  /** Called each time this node becomes the cluster's leader. */
  onElected(listener: () => void): void {
    this.leadership.onElected(listener);
  }

  /** Whether this node is the leader of a cluster (false on a single node). */
  leadsCluster(): boolean {
    return this.leadership.clustered && this.leadership.leads();
  }

  /** A turn asked for by hand: runs on this node, records nothing. */
  manual(): SweepTurn {
    return new SweepTurn(0, this.leadership);
  }

  /**
   * A scheduled turn, or undefined when this node does not lead. With `resume`, the turn
   * takes over the unfinished sweep of a former leader (see `unfinished`).
   */
  async scheduled(job: SweepJob, resume?: number): Promise<SweepTurn | undefined> {
    const term = this.leadership.term();
    if (term === undefined) return undefined;
    const state = this.state;
    if (!state || !this.leadership.clustered) return new SweepTurn(0, this.leadership);
    await state.sweepStarted(job, term, resume !== undefined);
    return new SweepTurn(resume ?? 0, this.leadership, (doneThrough, finished) =>
      state.sweepProgress(job, term, doneThrough, finished),
    );
  }

  /** Where a former leader's unfinished sweep of `job` stopped, or undefined when there is none. */
  async unfinished(job: SweepJob): Promise<number | undefined> {
    if (!this.state || !this.leadership.clustered) return undefined;
    const mark = await this.state.sweep(job);
    return mark && mark.finishedAt === null && mark.epoch !== this.leadership.term() ? mark.doneThrough : undefined;
  }
}
