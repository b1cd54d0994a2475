import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ResolvedMtaStsOptions } from '../../mta-sts.options';
import { MTA_STS_OPTIONS } from '../../mta-sts.tokens';
import { ClusterBus } from '../../ports/cluster-bus.port';
import { ClusterState } from '../../ports/cluster-state.port';

/** A former leader's work refused because another node leads now. */
export class FencedOut extends Error {
  constructor(node: string) {
    super(`${node} no longer leads the cluster; another node runs the scheduled work now.`);
  }
}

/**
 * Which node runs the scheduled work (sweeps, renewals, retirements, resuming an
 * interrupted Enable). On a single node, this one always. In a cluster, the node whose
 * database session holds the leader lock; each new leader starts a term with a number
 * one higher than any before, and work checks that its term is still the current one
 * before it writes (fencing), so a leader that was paused while another took over cannot
 * overwrite newer work.
 */
@Injectable()
export class Leadership {
  private readonly logger = new Logger('MtaSts');
  private epoch: number | undefined;
  private readonly listeners: Array<() => void> = [];

  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Optional() @Inject(ClusterBus) private readonly bus?: ClusterBus | null,
    @Optional() @Inject(ClusterState) private readonly state?: ClusterState | null,
  ) {}

  /** Whether several nodes share the work. */
  get clustered(): boolean {
    return Boolean(this.bus && this.state);
  }

  /** Whether this node runs the scheduled work now. */
  leads(): boolean {
    if (!this.bus) return true;
    return this.bus.leading && this.epoch !== undefined;
  }

  /** This node's term as leader, while it leads (0 on a single node). */
  term(): number | undefined {
    if (!this.bus) return 0;
    return this.leads() ? this.epoch : undefined;
  }

  /** Called once each time this node becomes the leader. */
  onElected(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Takes the lead when it is free (the leader's session ended); a new term starts. */
  async poll(): Promise<void> {
    const { bus, state } = this;
    if (!bus || !state) return;
    const before = this.leads();
    if (!(await bus.tryLead())) {
      if (before) this.logger.warn(`${this.node} lost the lead of the cluster (its database session ended).`);
      this.epoch = undefined;
      return;
    }
    if (before) return;
    this.epoch = await state.beginTerm(this.node);
    this.logger.log(`${this.node} leads the cluster (term ${this.epoch}).`);
    for (const listener of this.listeners) listener();
  }

  /** The session ended: the database has released the lock, and this node no longer leads. */
  lost(): void {
    if (this.epoch !== undefined)
      this.logger.warn(`${this.node} no longer leads the cluster: its database session ended.`);
    this.epoch = undefined;
  }

  /** Throws `FencedOut` unless this node's term is the current one (always passes on a single node). */
  async assertCurrent(): Promise<void> {
    if (!this.bus || !this.state) return;
    const mine = this.term();
    if (mine === undefined) throw new FencedOut(this.node);
    const { epoch } = await this.state.currentTerm();
    if (epoch !== mine) {
      this.epoch = undefined;
      throw new FencedOut(this.node);
    }
  }

  private get node(): string {
    return this.options.cluster?.node ?? 'this node';
  }
}
