import { nodesLine, nodesModel } from '../../../src/mta-sts/web/pages/node-models';
import type { NodeServing } from '../../../src/mta-sts/services/cluster/nodes-view';

const node = (name: string, sync: NodeServing['sync'], extra: Partial<NodeServing> = {}): NodeServing => ({
  node: name,
  addresses: ['192.0.2.1'],
  leader: false,
  sync,
  policyId: null,
  syncedAt: null,
  seenAt: new Date('2026-11-27T01:00:00Z'),
  problem: null,
  ...extra,
});

describe('The nodes on a card and in the list', () => {
  it('says for each node what it serves and what is wrong', () => {
    const model = nodesModel([
      node('a', 'in-sync', { leader: true, policyId: 'p2' }),
      node('b', 'behind', { policyId: 'p1' }),
      node('c', 'failed', { problem: 'EACCES: permission denied' }),
      node('d', 'down'),
      node('e', 'behind'),
    ])!;
    expect(model.map((line) => [line.name, line.leader, line.sync, line.detail])).toEqual([
      ['a', true, 'in-sync', ''],
      ['b', false, 'behind', 'serves policy p1'],
      ['c', false, 'failed', 'EACCES: permission denied'],
      ['d', false, 'down', expect.stringContaining('last seen')],
      ['e', false, 'behind', 'serves nothing for it yet'],
    ]);
    expect(nodesModel(undefined)).toBeNull();
    expect(nodesModel([])).toBeNull();
  });

  it('counts the nodes in sync for the list, naming those behind', () => {
    expect(nodesLine({ inSync: 3, total: 3, behind: [] })).toEqual({ text: 'Nodes in sync: 3 of 3', problem: false });
    expect(nodesLine({ inSync: 1, total: 3, behind: ['b'] })).toEqual({
      text: 'Nodes in sync: 1 of 3 (behind: b)',
      problem: true,
    });
    expect(nodesLine(undefined)).toBeNull();
  });
});
