import { InvalidOptionError } from '../domain/errors';
import type { HostFacts } from './host-facts';
import type { ClusterOptions } from './module-options';
import { bounded } from './validators';

export interface ResolvedClusterOptions {
  readonly node: string;
  /** The 32-byte sealing key. Never logged. */
  readonly key: Buffer;
  readonly reconcileMs: number;
  readonly leaderPollMs: number;
}

/** Up to 48 characters: the database session is named after the node, and PostgreSQL keeps 63. */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/;

/** Checks the cluster options and reads the sealing key; undefined on a single node. */
export function resolveCluster(
  options: ClusterOptions | undefined,
  facts: HostFacts,
): ResolvedClusterOptions | undefined {
  if (!options) return undefined;
  const node = String(options.node ?? '').trim();
  if (!NODE_NAME.test(node)) {
    throw new InvalidOptionError(
      'cluster.node',
      `"${node}" is not a node name: use letters, digits, ".", "-" and "_" (up to 48), different on every node`,
    );
  }
  if (!options.keyFile) throw new InvalidOptionError('cluster.keyFile', 'must name the file holding the sealing key');
  let text: string;
  try {
    text = facts.readText(options.keyFile);
  } catch (error) {
    throw new InvalidOptionError(
      'cluster.keyFile',
      `cannot read ${options.keyFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/]+=*$/.test(text.trim())) {
    throw new InvalidOptionError(
      'cluster.keyFile',
      `${options.keyFile} does not hold 32 bytes in base64; make one with: openssl rand -base64 32 > ${options.keyFile}`,
    );
  }
  return {
    node,
    key,
    reconcileMs: bounded('cluster.reconcileSeconds', options.reconcileSeconds, 60, 5, 86_400) * 1000,
    leaderPollMs: bounded('cluster.leaderPollSeconds', options.leaderPollSeconds, 5, 1, 600) * 1000,
  };
}
