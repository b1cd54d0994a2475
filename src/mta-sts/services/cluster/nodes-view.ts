import { Inject, Injectable, Optional } from '@nestjs/common';
import { nodeServing } from '../../domain/domain-state';
import { ClusterNodeRow, ClusterState } from '../../ports/cluster-state.port';
import { DomainView } from '../domain-view';
import { ALIVE_SECONDS } from './cluster-timing';

/**
 * Where one node stands with one domain:
 * - `in-sync`: it serves the domain's current policy with the shared certificate;
 * - `behind`: it serves something older, or has not written the domain yet;
 * - `failed`: writing the domain's files failed there (see `problem`);
 * - `down`: the node is not running (no database session, or not heard from lately).
 */
export type NodeSync = 'in-sync' | 'behind' | 'failed' | 'down';

export interface NodeServing {
  readonly node: string;
  readonly addresses: readonly string[];
  readonly leader: boolean;
  readonly sync: NodeSync;
  /** The policy id the node serves, if any. */
  readonly policyId: string | null;
  readonly syncedAt: Date | null;
  readonly seenAt: Date;
  readonly problem: string | null;
}

export interface NodesSummary {
  readonly inSync: number;
  readonly total: number;
  /** Live nodes that are not in sync. */
  readonly behind: readonly string[];
}

/** Which nodes serve a domain and whether each one is in sync, for the card, the list and the API. */
@Injectable()
export class NodesView {
  constructor(@Optional() @Inject(ClusterState) private readonly state?: ClusterState | null) {}

  /** Every node of the cluster, leader first; empty on a single node. */
  async nodes(): Promise<Array<ClusterNodeRow & { readonly leader: boolean }>> {
    if (!this.state) return [];
    const [nodes, term] = await Promise.all([this.state.nodes(ALIVE_SECONDS), this.state.currentTerm()]);
    return nodes.map((node) => ({ ...node, leader: node.name === term.holder }));
  }

  /** Forgets a node that is gone for good (the caller checked it is not running). */
  async remove(name: string): Promise<void> {
    await this.state?.removeNode(name);
  }

  /** Each node for each domain that nodes serve; undefined on a single node. */
  async forDomains(views: readonly DomainView[]): Promise<Map<string, NodeServing[]> | undefined> {
    if (!this.state) return undefined;
    const served = views.filter((view) => nodeServing(view.state) === 'serve');
    const [nodes, rows] = await Promise.all([this.nodes(), this.state.servedBy(served.map((view) => view.domain))]);
    const result = new Map<string, NodeServing[]>();
    for (const view of served) {
      result.set(
        view.domain,
        nodes.map((node) => {
          const row = rows.find((candidate) => candidate.node === node.name && candidate.domain === view.domain);
          let sync: NodeSync = 'in-sync';
          if (!node.alive) sync = 'down';
          else if (row?.error) sync = 'failed';
          else if (!row || row.policyId !== (view.policy?.id ?? null) || !row.certificateCurrent) sync = 'behind';
          return {
            node: node.name,
            addresses: node.addresses,
            leader: node.leader,
            sync,
            policyId: row?.policyId ?? null,
            syncedAt: row?.syncedAt ?? null,
            seenAt: node.seenAt,
            problem: row?.error ?? null,
          };
        }),
      );
    }
    return result;
  }

  /** One domain's nodes; undefined on a single node or when nodes do not serve it now. */
  async forDomain(view: DomainView): Promise<NodeServing[] | undefined> {
    return (await this.forDomains([view]))?.get(view.domain);
  }

  /** How many nodes are in sync, per domain, for a page of the list. */
  async summaries(views: readonly DomainView[]): Promise<Map<string, NodesSummary>> {
    const all = await this.forDomains(views);
    const result = new Map<string, NodesSummary>();
    for (const [domain, nodes] of all ?? []) {
      result.set(domain, {
        inSync: nodes.filter((node) => node.sync === 'in-sync').length,
        total: nodes.length,
        behind: nodes.filter((node) => node.sync === 'behind' || node.sync === 'failed').map((node) => node.node),
      });
    }
    return result;
  }
}
