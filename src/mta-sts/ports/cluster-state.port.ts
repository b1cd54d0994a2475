/** A domain's certificate bundle as the database keeps it for every node. */
export interface SharedCertificate {
  readonly sealed: string;
  /** SHA-256 of the bundle's text: equal digests, equal files. */
  readonly digest: string;
}

/** A node as the others see it. */
export interface ClusterNodeRow {
  readonly name: string;
  readonly addresses: readonly string[];
  readonly startedAt: Date;
  readonly seenAt: Date;
  /** Seen within the time the caller allowed. */
  readonly alive: boolean;
  readonly reconciledAt: Date | null;
  readonly reconcileError: string | null;
}

/** What one node serves for one domain, as it last said. */
export interface ServedRow {
  readonly node: string;
  readonly domain: string;
  readonly policyId: string | null;
  readonly certDigest: string | null;
  readonly error: string | null;
  readonly syncedAt?: Date;
}

/** Where the leader's sweep of a job stands: every domain with an id up to `doneThrough` is done. */
export interface SweepMark {
  readonly job: string;
  readonly epoch: number;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly doneThrough: number;
}

/**
 * What the nodes of a cluster share besides the domains themselves. Times are the
 * database's own (`now()`), so nodes whose clocks differ still agree on who is alive.
 */
export abstract class ClusterState {
  abstract putCertificate(domain: string, certificate: SharedCertificate): Promise<void>;
  abstract removeCertificate(domain: string): Promise<void>;
  abstract certificate(domain: string): Promise<SharedCertificate | undefined>;
  /** Every shared bundle's digest, by domain. */
  abstract certificateDigests(): Promise<Map<string, string>>;

  abstract addChallenge(token: string, keyAuthorization: string): Promise<void>;
  abstract removeChallenge(token: string): Promise<void>;
  abstract challenge(token: string): Promise<string | undefined>;
  abstract challengeTokens(): Promise<string[]>;
  abstract acknowledge(token: string, node: string): Promise<void>;
  abstract acknowledgements(token: string): Promise<string[]>;

  abstract heartbeat(node: string, addresses: readonly string[], startedAt: Date): Promise<void>;
  abstract reconciled(node: string, error: string | null): Promise<void>;
  /**
   * Every node; `alive` when seen within `aliveSeconds` and its database session is there
   * now (a killed node's session ends at once, so it stops counting at once).
   */
  abstract nodes(aliveSeconds: number): Promise<ClusterNodeRow[]>;
  abstract removeNode(node: string): Promise<void>;

  abstract recordServed(rows: readonly ServedRow[]): Promise<void>;
  abstract forgetServed(node: string, domains: readonly string[]): Promise<void>;
  /** What each node says it serves for these domains, and whether its certificate is the shared one. */
  abstract servedBy(domains: readonly string[]): Promise<Array<ServedRow & { readonly certificateCurrent: boolean }>>;

  /** Starts a new leader's term: the term number, one more than any before (the fencing token). */
  abstract beginTerm(node: string): Promise<number>;
  abstract currentTerm(): Promise<{ epoch: number; holder: string | null }>;

  abstract sweep(job: string): Promise<SweepMark | undefined>;
  /** A sweep of `job` starts in term `epoch`; with `resume`, it goes on from where the unfinished one stopped. */
  abstract sweepStarted(job: string, epoch: number, resume: boolean): Promise<void>;
  /** Records progress; false when another term's sweep has taken over (fenced). */
  abstract sweepProgress(job: string, epoch: number, doneThrough: number, finished: boolean): Promise<boolean>;
}
