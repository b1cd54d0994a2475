import { readableTime } from '../../domain/wording';
import { NodeServing, NodeSync, NodesSummary } from '../../services/cluster/nodes-view';

const SYNC_LABELS: Record<NodeSync, string> = {
  'in-sync': 'serves the current policy and certificate',
  behind: 'not yet in line with the database',
  failed: 'could not write its files',
  down: 'not running',
};

/** The card's "Nodes" section: one line per node, what it serves and what is wrong. */
export function nodesModel(nodes: readonly NodeServing[] | undefined) {
  if (!nodes || nodes.length === 0) return null;
  return nodes.map((node) => {
    let detail = '';
    if (node.sync === 'behind') detail = node.policyId ? `serves policy ${node.policyId}` : 'serves nothing for it yet';
    if (node.sync === 'failed') detail = node.problem ?? '';
    if (node.sync === 'down') detail = `last seen ${readableTime(node.seenAt.toISOString())}`;
    return {
      name: node.node,
      leader: node.leader,
      addresses: node.addresses.join(', '),
      sync: node.sync,
      label: SYNC_LABELS[node.sync],
      detail,
    };
  });
}

/** The list's line about nodes: how many are in sync, and which are behind. */
export function nodesLine(summary: NodesSummary | undefined) {
  if (!summary || summary.total === 0) return null;
  const behind = summary.behind.length > 0 ? ` (behind: ${summary.behind.join(', ')})` : '';
  return {
    text: `Nodes in sync: ${summary.inSync} of ${summary.total}${behind}`,
    problem: summary.inSync < summary.total,
  };
}
